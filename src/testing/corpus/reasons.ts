/**
 * The reasons for the deliberate differences between postroom and the reference parsers of the conformance corpus
 * (Stalwart mail-parser, Apache mime4j): each states the RFC rule postroom follows, or why the other reading is not
 * followed. docs/mime-conformance.md explains each one at more length.
 */

/** Why postroom reads a case differently: the RFC rule, or the reason the other reading is worse. */
export const R = {
  base64Junk:
    'RFC 2045 §6.8: characters outside the base64 alphabet are ignored and the rest is decoded; Stalwart gives up and returns the undecoded text',
  base64PartialQuantum:
    'RFC 2045 §6.8 leaves a truncated final quantum undefined; postroom decodes a final 2 or 3 characters as far as they go (and goes on after "=" padding, for concatenated bodies), Stalwart drops them',
  commentOnly:
    'RFC 5322 §3.2.2, §3.4: a comment is not a mailbox, so an address list holding only a comment is empty (see header-values/address.test.ts); Stalwart makes the comment a display name',
  commentInName:
    'RFC 5322 §3.2.2, §3.4: comments are not part of a display-name (the phrase); Stalwart keeps the comment in the name',
  decodeProblemNotAttachment:
    'RFC 8621 §4.1.4 classifies a part by type, disposition, name and position only; Stalwart moves a part to attachments when it flags an encoding problem (undecodable base64, or a body cut off by the end of the input)',
  delimiterAtLineStart:
    'RFC 2046 §5.1.1: a delimiter must begin a line, so "invalid--1--" is body text and the multipart simply has no close delimiter; Stalwart matches the boundary in the middle of a line',
  duplicateParam:
    'RFC 2045 §5.1 does not allow a parameter twice; postroom takes the first occurrence (as it takes the first of several Content-Type fields, like Python\'s email package), Stalwart the later non-empty one',
  emptyDispositionType:
    'RFC 2183 §2: the filename parameter still names the file when the disposition type is missing ("Content-Disposition: ; filename=..."); Stalwart ignores the whole field',
  emptyLastPart:
    'RFC 2046 §5.1.1: encapsulation := delimiter transport-padding CRLF body-part, so a delimiter at the end of the input still opens an (empty) body part; Stalwart drops it',
  encodedMessage:
    'RFC 2046 §5.2.1 allows only 7bit, 8bit and binary for message/rfc822; postroom keeps a base64 or quoted-printable message as an attachment leaf (its content is the decoded message) so that every part\'s offsets index the raw message (IMAP byte ranges, POP3 TOP); Stalwart and mime4j decode and parse it',
  longestBoundary:
    'RFC 2046 §5.1.1 compares a boundary with the start of the line, so a line "--ab" starts a delimiter of both boundary "a" and boundary "ab" (composers must not nest such boundaries, but the RFC does not say which wins); postroom gives the line to the longer boundary, the one it matches in full, as Dovecot does; Stalwart gives it to the innermost boundary that matches',
  firstContentType:
    'RFC 2045 §5 allows one Content-Type field; with two, postroom uses the first (as Python\'s email package does), which here is the multipart/alternative that the boundaries in the body follow; Stalwart uses the last and shows the whole alternative as one text part',
  headerEndsAtNonField:
    'RFC 5322 §2.2, §3.6.8: a line that is not name ":" value (no colon, or a name that is not printable US-ASCII) is not a header field; postroom ends the header block there and keeps that line and all after it as the body, as Python\'s email package does and mime4j does in its malformedHeaderStartsBody mode, so nothing is hidden; Stalwart, and mime4j by default, drop such lines and read on to the next blank line',
  junkAfterBoundary:
    'RFC 2046 §5.1.1: the rest of a delimiter line after the boundary is ignored and the part\'s header starts on the next line; Stalwart starts the header right after the boundary, so the rest of the line ("b") becomes a header line',
  mime4jDropsLine:
    'With its malformedHeaderStartsBody option, mime4j starts the body at the first line that is not a header field but loses the line after it; postroom keeps every line (RFC 5322 §2.2 recovery as in headerEndsAtNonField)',
  boundaryTooLong:
    'RFC 2046 §5.1.1 allows boundaries of at most 70 characters; postroom honours up to 998 (the RFC 5322 §2.1.1 line limit), which bounds the delimiter look-ahead, and reads a multipart with a longer boundary (7000 here) as text/plain with a problem; mime4j honours any length',
  headerOnlyParts:
    'RFC 2046 §5.1.1: body-part := MIME-part-headers [CRLF *OCTET], so a part may end right after its header with no blank line and each delimiter starts a part; Stalwart returns the multipart with no parts',
  inlineMedia:
    'RFC 8621 §4.1.4: an image/audio/video part that is in both textBody and htmlBody is not an attachment; Stalwart lists inline media as attachments as well',
  invalidNestedMessage:
    'RFC 2046 §5.2.1: the body of message/rfc822 is a message; postroom keeps the declared type even when the enclosed message has no header fields (its text becomes the inner body), Stalwart falls back to a text leaf and its offset_end then runs past the close delimiter',
  noDelimiterText:
    'RFC 2046 §5.1.1: a multipart body has at least one delimiter; one without any cannot be read as a multipart, so postroom reads it as text/plain (the default for an unusable Content-Type, RFC 2045 §5.2) and shows it; Stalwart keeps the multipart type and makes the body an attachment, mime4j keeps a multipart with no parts (only a preamble)',
  outerDelimiter:
    'RFC 2046 §5.1.1: a boundary delimiter must not appear inside an encapsulated part, so a delimiter of an enclosing multipart ends every entity inside it (a truncated part cannot swallow its siblings); Stalwart only looks for the innermost boundary',
  utf16OddByte:
    'WHATWG Encoding Standard (UTF-16LE decoder, as TextDecoder): a final odd byte is an error and becomes U+FFFD; Stalwart drops it',
} as const;
