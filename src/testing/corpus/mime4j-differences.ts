/**
 * The deliberate differences between postroom and Apache mime4j on mime4j's test messages. Each entry names the
 * message, the field (as the adapter in mime4j.ts names it: "1" is the message, "1_2" its second part, as in
 * mime4j's decoded file names), both values as `show()` prints them, and the reason (reasons.ts);
 * docs/mime-conformance.md lists the same cases. An entry that explains nothing fails the test.
 */
import type { Difference } from './compare.js';
import { R } from './reasons.js';

/** The deliberate differences, one entry per field and value. */
export const MIME4J_DIFFERENCES: readonly Difference[] = [
  { message: "bad-newlines-multiple-parts-base64", field: "1.kind", theirs: "\"message\"", ours: "\"leaf\"", why: R.encodedMessage },
  { message: "base64encoded-rfc822message-nested", field: "1.kind", theirs: "\"message\"", ours: "\"leaf\"", why: R.encodedMessage },
  { message: "base64encoded-rfc822message", field: "1.kind", theirs: "\"message\"", ours: "\"leaf\"", why: R.encodedMessage },
  { message: "basic-plain-with-bad-header-separator", field: "1.raw", theirs: "\"This results in a bogus header.\\r\\n\" (33 bytes)", ours: "\"This is a very simple message with a simple body\"… (177 bytes)", why: R.headerEndsAtNonField },
  { message: "basic-plain-with-bad-header-separator", field: "1.decoded", theirs: "\"This results in a bogus header.\\r\\n\" (33 bytes)", ours: "\"This is a very simple message with a simple body\"… (177 bytes)", why: R.headerEndsAtNonField },
  { message: "malformedHeader-nocrlfcrlf", field: "1.fields", theirs: "[\"Subject: this is a subject\",\"AnotherHeader: is this an header or the first part of the body?\"]", ours: "[\"Subject: this is a subject\"]", why: R.headerEndsAtNonField },
  { message: "malformedHeader-nocrlfcrlf", field: "1.raw", theirs: "\"Body text\\r\\n\" (11 bytes)", ours: "\"This is an invalid header\\r\\nAnotherHeader: is thi\"… (105 bytes)", why: R.headerEndsAtNonField },
  { message: "malformedHeader-nocrlfcrlf", field: "1.decoded", theirs: "\"Body text\\r\\n\" (11 bytes)", ours: "\"This is an invalid header\\r\\nAnotherHeader: is thi\"… (105 bytes)", why: R.headerEndsAtNonField },
  { message: "malformedHeader-noheader", field: "1.raw", theirs: "\"\" (0 bytes)", ours: "\"This is a simple message not having headers.\\r\\nTh\"… (92 bytes)", why: R.headerEndsAtNonField },
  { message: "malformedHeader-noheader", field: "1.decoded", theirs: "\"\" (0 bytes)", ours: "\"This is a simple message not having headers.\\r\\nTh\"… (92 bytes)", why: R.headerEndsAtNonField },
  { message: "malformedHeaderStartsBody-nocrlfcrlf", field: "1.raw", theirs: "\"This is an invalid header\\r\\n\\r\\nBody text\\r\\n\" (40 bytes)", ours: "\"This is an invalid header\\r\\nAnotherHeader: is thi\"… (105 bytes)", why: R.mime4jDropsLine },
  { message: "malformedHeaderStartsBody-nocrlfcrlf", field: "1.decoded", theirs: "\"This is an invalid header\\r\\n\\r\\nBody text\\r\\n\" (40 bytes)", ours: "\"This is an invalid header\\r\\nAnotherHeader: is thi\"… (105 bytes)", why: R.mime4jDropsLine },
  { message: "malformedHeaderStartsBody-noheader", field: "1.raw", theirs: "\"This is a simple message not having headers.\\r\\n\" (46 bytes)", ours: "\"This is a simple message not having headers.\\r\\nTh\"… (92 bytes)", why: R.mime4jDropsLine },
  { message: "malformedHeaderStartsBody-noheader", field: "1.decoded", theirs: "\"This is a simple message not having headers.\\r\\n\" (46 bytes)", ours: "\"This is a simple message not having headers.\\r\\nTh\"… (92 bytes)", why: R.mime4jDropsLine },
  { message: "missing-boundary", field: "1.kind", theirs: "\"multipart\"", ours: "\"leaf\"", why: R.noDelimiterText },
  { message: "missing-inner-boundary", field: "1_2.kind", theirs: "\"multipart\"", ours: "\"leaf\"", why: R.noDelimiterText },
  { message: "obsolete", field: "1.fields", theirs: "[\"Subject :The obsolete syntax allow spaces before the colon\\r\\n       \\r\\n and also empty lines in folding.\",\"Date    :     Malformed Date.\",\"HeaderWithWSP \\t  \\t:\\t\\tvalue.\"]", ours: "[\"Subject :The obsolete syntax allow spaces before the colon\\r\\n       \\r\\n and also empty lines in folding.\",\"Date    :     Malformed Date.\"]", why: R.headerEndsAtNonField },
  { message: "obsolete", field: "1.raw", theirs: "\"body\\r\\n\" (6 bytes)", ours: "\"Invalìd-Header: this is not valid.\\r\\nHeaderWithWS\"… (73 bytes)", why: R.headerEndsAtNonField },
  { message: "obsolete", field: "1.decoded", theirs: "\"body\\r\\n\" (6 bytes)", ours: "\"Invalìd-Header: this is not valid.\\r\\nHeaderWithWS\"… (73 bytes)", why: R.headerEndsAtNonField },
  { message: "very-very-long-boundary", field: "1.kind", theirs: "\"multipart\"", ours: "\"leaf\"", why: R.boundaryTooLong },
];
