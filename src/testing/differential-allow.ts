/**
 * The justified differences between Postroom and the peer parsers (postal-mime 4, mailparser 3): every disagreement
 * the differential tests find must be explained by one of these rules or be a Postroom bug (filed, and marked todo).
 * docs/mime-differential.md describes each rule in prose; keep the two in step.
 *
 * A rule is data plus a narrow test:
 * - `when(ctx, peer)` says whether the message has the feature the rule is about, decided from Postroom's parse and
 *   the raw bytes (a charset label, a problem Postroom recorded, a message/rfc822 part, …). A rule that does not
 *   apply never explains anything.
 * - `how` says how the engine (differential-explain.ts) checks that the feature, and nothing else, causes the
 *   disagreement: by isolation (the peer parses the one value alone and gives the same result), by transforming
 *   Postroom's result into the peer's documented behaviour, or by a containment check.
 * `right` records who follows the RFCs: 'postroom', the 'peer', or 'policy' when the RFCs leave it open.
 */
import { isEucKrLabel, lyingWord, splitUtf8Word, uhcOnly, win1252Bytes, win1252Word } from './differential-charsets.js';
import { allRawHeaders, boundaries, decodedText, esc, hasRfc822Inline, labels, rawLegacyHeader } from './differential-features.js';
import { hasProblem, rawFields, textLeaves } from './differential-peers.js';
import { partBytes } from './golden.js';
import type { DiffContext, Field, PeerName } from './differential.js';

/** How the engine checks a rule. */
export type How =
  /** The peer, given only the value's bytes (header field, text part, parameter), yields exactly its disagreeing result. */
  | 'isolation'
  /** Postroom's text, rebuilt from its parts with the peer's documented behaviour, equals the peer's. */
  | 'transform'
  /** What the peer shows is contained in what Postroom shows (the peer lost content that Postroom kept). */
  | 'subset';

/** One justified difference. */
export interface AllowRule {
  readonly id: string;
  readonly peers: readonly PeerName[];
  readonly fields: readonly Field[];
  /** The RFC (or standard) sections that decide the question. */
  readonly rfc: string;
  readonly right: 'postroom' | 'peer' | 'policy';
  /** What the peer does and why the difference is acceptable. */
  readonly why: string;
  readonly how: How;
  when(ctx: DiffContext, peer: PeerName): boolean;
}

const both: readonly PeerName[] = ['postal-mime', 'mailparser'];
const postal: readonly PeerName[] = ['postal-mime'];
const mailparser: readonly PeerName[] = ['mailparser'];

/** The table. Order matters only for reporting. */
export const allowRules: readonly AllowRule[] = [
  {
    id: 'rfc8621-message-rfc822-is-attachment',
    peers: mailparser,
    fields: ['text', 'attachments'],
    rfc: 'RFC 8621 §4.1.4; RFC 2046 §5.2.1; RFC 2183 §2.1',
    right: 'policy',
    why:
      'A message/rfc822 part without "Content-Disposition: attachment" is rendered inline by mailparser: its header ' +
      'summary and text join the outer text and its attachments join the outer list. Postroom follows RFC 8621: an ' +
      'enclosed message is an attachment of the outer message (its parts are not bodies of the outer one). ' +
      'postal-mime does the same as mailparser by default; the tests run it with forceRfc822Attachments.',
    how: 'transform',
    when: (ctx) => hasRfc822Inline(ctx),
  },
  {
    id: 'rfc8621-named-inline-text-is-attachment',
    peers: both,
    fields: ['text', 'attachments'],
    rfc: 'RFC 8621 §4.1.4; RFC 2183 §2.1',
    right: 'policy',
    why:
      'A text/plain or text/html part that is not the first of a multipart/mixed and has a file name is an attachment ' +
      'under RFC 8621 even with "Content-Disposition: inline"; both peers show it in the text unless the disposition ' +
      'is "attachment".',
    how: 'transform',
    when: (ctx) =>
      ctx.parsed.attachments.some((a) => /^text\/(plain|html)$/.test(a.contentType) && a.disposition !== 'attachment' && ctx.parsed.parts[a.index]?.kind === 'leaf'),
  },
  {
    id: 'rfc8621-inline-media-is-body',
    peers: both,
    fields: ['attachments'],
    rfc: 'RFC 8621 §4.1.4',
    right: 'policy',
    why:
      'An inline image, audio or video part between text parts of a multipart/mixed (Apple Mail\'s layout) belongs to ' +
      "the body lists (textBody/htmlBody) under RFC 8621, so Postroom's attachments omit it; both peers list it as an " +
      'attachment. The part is compared through Postroom\'s body lists instead.',
    how: 'transform',
    when: (ctx) => [...ctx.parsed.textBody, ...ctx.parsed.htmlBody].some((i) => /^(image|audio|video)\//.test(ctx.parsed.parts[i]?.contentType ?? '')),
  },
  {
    id: 'rfc3676-flowed-kept-as-sent',
    peers: both,
    fields: ['text'],
    rfc: 'RFC 3676 §4.2',
    right: 'policy',
    why:
      'Both peers unflow format=flowed text (join soft-broken lines, undo space-stuffing). Postroom returns the text ' +
      'as sent, so quoting and signatures survive and the renderer can reflow; unflowing Postroom\'s text gives the ' +
      "peers' result.",
    how: 'transform',
    when: (ctx) => textLeaves(ctx.parsed).some((l) => l.flowed),
  },
  {
    id: 'postal-line-based-bodies',
    peers: postal,
    fields: ['text', 'attachments'],
    rfc: 'RFC 2046 §5.1.1; RFC 2045 §2.7-2.9',
    right: 'postroom',
    why:
      'postal-mime reads bodies that are not base64 line by line: CRLF becomes LF, and the line break that precedes a ' +
      'delimiter stays in the body. Joined text parts gain a blank line, attachments gain a trailing LF (text/calendar ' +
      'is cut to exactly one), and 8bit/binary bodies that are not line-oriented (UTF-16) are damaged. RFC 2046 §5.1.1 ' +
      'gives that line break to the delimiter; Postroom keeps the body bytes exactly.',
    how: 'transform',
    when: (ctx) => ctx.parsed.parts.some((p) => (p.kind === 'leaf' && p.transferEncoding !== 'base64') || p.kind === 'message'),
  },
  {
    id: 'postal-renders-html-into-text',
    peers: postal,
    fields: ['text'],
    rfc: 'RFC 8621 §4.1.4',
    right: 'policy',
    why:
      'When RFC 8621 puts a text/html part into textBody (an HTML part in a multipart/mixed, outside any alternative), ' +
      "postal-mime converts it to plain text and adds it to its text. Postroom's text joins only the text/plain parts; " +
      'the HTML is in html.',
    how: 'transform',
    when: (ctx) => ctx.parsed.textBody.some((i) => ctx.parsed.parts[i]?.contentType === 'text/html'),
  },
  {
    id: 'boundary-matches-line-start',
    peers: both,
    fields: ['text', 'attachments'],
    rfc: 'RFC 2046 §5.1.1 (NOTE TO IMPLEMENTORS)',
    right: 'postroom',
    why:
      'A line that starts with "--" and the boundary is a delimiter even when other text follows ("--boundary This ' +
      'should be ignored"): "An exact match of the entire candidate line is not required". Postroom (like mime4j) ' +
      'splits there; the peers require the whole line and see no parts.',
    how: 'subset',
    when: (ctx) => boundaries(ctx).some((b) => new RegExp(`(^|\\n)--${esc(b)}(--)?[ \\t]*[^ \\t\\r\\n-]`).test(ctx.bytes.toString('latin1'))),
  },
  {
    id: 'digest-parts-default-to-message-rfc822',
    peers: mailparser,
    fields: ['text', 'attachments'],
    rfc: 'RFC 2046 §5.1.5',
    right: 'postroom',
    why:
      'In multipart/digest a part without Content-Type is message/rfc822. mailparser applies the text/plain default ' +
      'and shows the enclosed message, header and all, as text.',
    how: 'transform',
    when: (ctx) =>
      ctx.parsed.parts.some((p) => p.kind === 'message' && !p.header.has('content-type') && ctx.parsed.parts[p.parent ?? -1]?.contentType === 'multipart/digest'),
  },
  {
    id: 'empty-text-part-is-text',
    peers: both,
    fields: ['text'],
    rfc: 'RFC 8621 §4.1.4; RFC 5322 §3.5',
    right: 'policy',
    why:
      'A message whose text/plain body is empty (or absent: RFC 5322 §3.5 makes the body optional) has the text "" in ' +
      'Postroom, because the body part exists; the peers report no text at all.',
    how: 'subset',
    when: (ctx, peer) => (ctx.views.postroom.text ?? '') === '' && ctx.views[peer].text === null && ctx.views.postroom.text !== null,
  },
  {
    id: 'mailparser-empty-text-for-html-only',
    peers: mailparser,
    fields: ['text'],
    rfc: 'RFC 8621 §4.1.4',
    right: 'policy',
    why:
      'With skipHtmlToText, mailparser sets text to "" for a message that has only HTML; Postroom reports no text ' +
      '(its text is the text/plain body only).',
    how: 'subset',
    when: (ctx) => ctx.views.postroom.text === null && ctx.views.mailparser.text === '',
  },
  {
    id: 'broken-multipart-kept-as-text',
    peers: both,
    fields: ['text', 'attachments'],
    rfc: 'RFC 2046 §5.1.1; RFC 2049 §2',
    right: 'postroom',
    why:
      'When a multipart has no boundary parameter, its boundary never appears, an inner part lacks its delimiters or ' +
      'the close delimiter is missing, Postroom keeps the undelimited bytes as text (RFC 2049: never hide content). ' +
      'The peers drop them or cut them differently, so what they show is contained in what Postroom shows.',
    how: 'subset',
    when: (ctx) => hasProblem(ctx.parsed, /boundary|close delimiter|enclosing boundary/i),
  },
  {
    id: 'header-block-recovery',
    peers: both,
    fields: ['text'],
    rfc: 'RFC 5322 §2.1, §2.2; RFC 2045 §3',
    right: 'postroom',
    why:
      'A header block that is not ended by a blank line, or contains a line that is no header field, ends at the first ' +
      'line that is not a field in Postroom, and the rest is body. The peers read such lines as header fields and lose ' +
      'them, so their text is contained in Postroom\'s.',
    how: 'subset',
    when: (ctx) => hasProblem(ctx.parsed, /Header block not ended by a blank line|Header line without a colon|Header field name .* invalid|without a name/i),
  },
  {
    id: 'text-without-subtype-is-text-plain',
    peers: both,
    fields: ['text', 'attachments'],
    rfc: 'RFC 2045 §5.2',
    right: 'postroom',
    why:
      '"Content-Type: text" has no subtype and is invalid; RFC 2045 §5.2 sends invalid types to the text/plain default, ' +
      'which Postroom does (keeping the charset). The peers take it for an attachment of an unknown type.',
    how: 'subset',
    when: (ctx) => hasProblem(ctx.parsed, /has no subtype|Invalid Content-Type/i),
  },
  {
    id: 'node-textdecoder-euc-kr-lacks-uhc',
    peers: postal,
    fields: ['subject', 'from', 'to', 'text', 'attachments'],
    rfc: 'WHATWG Encoding §15.1 (EUC-KR decoder); RFC 2047 §2',
    right: 'postroom',
    why:
      'postal-mime decodes with the runtime\'s TextDecoder. On Node 20 (ICU) "euc-kr" is KS X 1001 only, so CP949 (UHC) ' +
      'syllables such as 똠 and 뷁, which WHATWG\'s EUC-KR decoder and every Korean mailer accept under the labels ' +
      'euc-kr and ks_c_5601-1987, come out as U+FFFD or stray ASCII.',
    how: 'isolation',
    when: (ctx) => labels(ctx).some(isEucKrLabel) && uhcOnly(decodedText(ctx)),
  },
  {
    id: 'node-textdecoder-windows-1252-is-latin1',
    peers: postal,
    fields: ['subject', 'from', 'to', 'text', 'attachments'],
    rfc: 'WHATWG Encoding §4.2 (iso-8859-1 label = windows-1252), §9 (single-byte decoder); nodejs/node#56542',
    right: 'postroom',
    why:
      'Node 20\'s TextDecoder decodes windows-1252 (and the iso-8859-1 labels mapped to it) as Latin-1, so 0x80-0x9F ' +
      '(€ ’ “ ” – …) become C1 control characters in postal-mime. Outlook labels such text iso-8859-1 or Windows-1252.',
    how: 'isolation',
    when: (ctx) =>
      allRawHeaders(ctx).some((r) => win1252Word(r.toString('latin1'))) ||
      ctx.parsed.parts.some((p) => p.kind === 'leaf' && win1252Bytes(p.charset, partBytes(ctx.parsed, p))),
  },
  {
    id: 'charset-label-lies',
    peers: both,
    fields: ['subject', 'from', 'to', 'text', 'attachments'],
    rfc: 'RFC 2046 §4.1.2; RFC 6532 §3.2',
    right: 'postroom',
    why:
      'When a single-byte label (iso-8859-1, windows-1252) sits on bytes that are valid multi-byte UTF-8, Postroom ' +
      'decodes UTF-8 and records a problem; the peers trust the label and produce mojibake ("CafÃ©").',
    how: 'isolation',
    when: (ctx) => hasProblem(ctx.parsed, /but the text is UTF-8/) || allRawHeaders(ctx).some((r) => lyingWord(r.toString('latin1'))),
  },
  {
    id: 'charset-unknown-label-guessed',
    peers: both,
    fields: ['text', 'subject', 'attachments'],
    rfc: 'RFC 2046 §4.1.2; RFC 2049 §2',
    right: 'policy',
    why:
      'For a charset label it does not know, Postroom looks at the bytes (UTF-8, ISO 2022 escapes, CP949, Shift_JIS, ' +
      'EUC-JP, else windows-1252) and records a problem; postal-mime falls back to windows-1252 and mailparser to UTF-8 ' +
      'with U+FFFD. RFC 2049 only asks that such text be shown to the user, not how.',
    how: 'isolation',
    when: (ctx) => hasProblem(ctx.parsed, /Unknown charset|names no charset|No charset declared/i),
  },
  {
    id: 'iso-2022-kr-decoded',
    peers: both,
    fields: ['text', 'subject'],
    rfc: 'RFC 1557; WHATWG Encoding §4.2 (ISO-2022-KR is "replacement")',
    right: 'postroom',
    why:
      'Neither peer decodes ISO-2022-KR (RFC 1557 Korean mail); they pass the 7-bit bytes through with the escape, ' +
      'SO and SI controls. WHATWG maps the label to its replacement decoder for the web; for mail Postroom decodes it.',
    how: 'isolation',
    when: (ctx) => labels(ctx).some((l) => /^(csiso2022kr|iso-2022-kr)$/i.test(l.trim())),
  },
  {
    id: 'raw-8bit-header-uses-message-charset',
    peers: both,
    fields: ['subject', 'from', 'to', 'attachments'],
    rfc: 'RFC 6532 §3.2; RFC 2047 §1',
    right: 'postroom',
    why:
      'Raw 8-bit header bytes that are not UTF-8 (old Korean and Japanese mailers) are decoded by Postroom with the ' +
      'charset of the entity; the peers decode them as UTF-8 and show U+FFFD.',
    how: 'isolation',
    when: (ctx) => rawLegacyHeader(ctx),
  },
  {
    id: 'rfc2047-character-split-across-words',
    peers: postal,
    fields: ['subject', 'from', 'to', 'attachments'],
    rfc: 'RFC 2047 §5 (each word holds whole characters), §6.2',
    right: 'postroom',
    why:
      'Senders that cut a multi-byte character between two encoded words break RFC 2047 §5. Postroom joins adjacent ' +
      'words of one charset before decoding (as Thunderbird and mailparser do); postal-mime decodes each word alone ' +
      'and shows U+FFFD.',
    how: 'isolation',
    when: (ctx) => allRawHeaders(ctx).some((r) => splitUtf8Word(r.toString('latin1'))),
  },
  {
    id: 'rfc5322-comments-and-obsolete-address-syntax',
    peers: both,
    fields: ['from', 'to'],
    rfc: 'RFC 5322 §3.2.2, §3.4, §4.4',
    right: 'postroom',
    why:
      'Comments (with quoted-pairs) inside and after addresses, CFWS around the dots and "@" of an addr-spec (obsolete ' +
      'syntax that readers must accept) and a comment after a group\'s ";" are CFWS, not content. The peers keep ' +
      'comments in addresses or names, cut the address at the space, or turn the trailing comment into an empty ' +
      'mailbox.',
    how: 'isolation',
    when: (ctx) => [...rawFields(ctx.parsed, 'from'), ...rawFields(ctx.parsed, 'to')].some((r) => /\(|[@.]\s|\s[@.]|;\s*\S/.test(r.toString('latin1').replace(/^[^:]*:/, ''))),
  },
  {
    id: 'qp-whitespace-after-soft-break',
    peers: postal,
    fields: ['text'],
    rfc: 'RFC 2045 §6.7 rule (3)',
    right: 'postroom',
    why:
      'Transport may add white space at the end of a line; RFC 2045 §6.7 (3) says to delete it before decoding, so ' +
      '"= " + line end is a soft line break. postal-mime keeps the "=" and the line break.',
    how: 'transform',
    when: (ctx) => ctx.parsed.parts.some((p) => p.transferEncoding === 'quoted-printable' && /=[ \t]+\r?\n/.test(ctx.parsed.raw.subarray(p.offsets.body, p.offsets.end).toString('latin1'))),
  },
  {
    id: 'mailparser-collapses-folding-white-space',
    peers: mailparser,
    fields: ['subject'],
    rfc: 'RFC 5322 §2.2.3',
    right: 'postroom',
    why:
      'Unfolding removes only the CRLF; the white space around it stays. mailparser collapses runs of white space in ' +
      'unstructured fields.',
    how: 'isolation',
    when: (ctx) => /\S[ \t]{2,}\S|\n[ \t]*\r?\n/.test(rawFields(ctx.parsed, 'subject').map((b) => b.toString('latin1')).join('')),
  },
];

/**
 * Single messages of the shared corpus whose disagreement no general rule can state, each with its reason. Keep this
 * list short: a general rule is always better.
 */
export const allowCases: readonly { readonly id: string; readonly peers: readonly PeerName[]; readonly fields: readonly Field[]; readonly rfc: string; readonly why: string }[] = [
  ...['corpus:mime4j/testmsgs/weird-boundary.msg', 'corpus:mime4j/testmsgs/very-long-boundary.msg'].map((id) => ({
    id,
    peers: mailparser,
    fields: ['text'] as Field[],
    rfc: 'RFC 2046 §5.1.1 (boundary BNF: the last character is bcharsnospace)',
    why:
      'The boundary parameter ends in spaces, which the BNF forbids. Postroom and postal-mime (and mime4j, whose test ' +
      'this is) use the value as given, the only reading under which the message\'s own comment ("the above line ... ' +
      'should be part of the body") holds; mailparser trims the value and splits at the wrong line.',
  })),
  {
    id: 'corpus:stalwart/malformed/019.eml',
    peers: postal,
    fields: ['text'],
    rfc: 'none (not a MIME message)',
    why:
      'A fuzzed message: header lines repeated and cut, boundaries in two cases, an HTML part that contains the header ' +
      'text. No RFC reading exists; Postroom keeps every byte as text (RFC 2049 §2), postal-mime shows only what its ' +
      'HTML converter makes of one part.',
  },
];

