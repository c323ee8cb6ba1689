/**
 * The POP3 interop message set and the byte comparisons of test/interop/pop3-clients.test.ts: four messages with
 * the traps real clients trip over (a 10 MB base64 attachment, EUC-KR 8-bit text with an RFC 2047 subject, lines
 * that start with a dot, body lines that start with "From "), an RFC 4155 mbox splitter, and the line-end and
 * From-quoting transforms that clients are documented to apply when they store a message.
 *
 * Guarantees: the set is deterministic (the attachment comes from a fixed xorshift seed), every line ends in CRLF,
 * and every message has a `Message-ID: <pop3-interop-KEY@example.test>` that names it.
 * Limits: the transforms are byte-exact (latin1 round trips), but hold whole messages in memory; they are for tests.
 */
import iconv from 'iconv-lite';

/** One message of the set. */
export interface InteropMessage {
  /** 'plain', 'big', 'korean' or 'dots'; also the local part of its Message-ID after `pop3-interop-`. */
  readonly key: string;
  /** The message as submitted over SMTP (CRLF line ends, no trace fields). */
  readonly bytes: Buffer;
}

/** The bytes the big message's attachment is made of (before base64): about 10 MB once encoded. */
export const BIG_ATTACHMENT_BYTES = 7_600_000;

const crlf = (lines: readonly (string | Buffer)[]): Buffer =>
  Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l, 'utf8') : l, Buffer.from('\r\n')]));

const head = (key: string, subject: string): string[] => [
  'From: Ann Example <ann@example.test>',
  'To: Bob Example <bob@example.test>',
  `Subject: ${subject}`,
  'Date: Thu, 26 Nov 2026 11:50:41 +0000',
  `Message-ID: <pop3-interop-${key}@example.test>`,
  'MIME-Version: 1.0',
];

/** Deterministic pseudo-random bytes (xorshift32): the same attachment on every run and machine. */
function noise(n: number): Buffer {
  const words = new Uint32Array(Math.ceil(n / 4));
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return Buffer.from(words.buffer, 0, n);
}

/** Base64 in lines of 76 characters (RFC 2045 §6.8), CRLF after each. */
function base64Lines(data: Buffer): Buffer {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return Buffer.from(lines.join('\r\n') + '\r\n', 'latin1');
}

/**
 * The four messages every client fetches.
 *
 * @example
 * ```ts
 * const set = pop3MessageSet();
 * set.map((m) => m.key); // ['plain', 'big', 'korean', 'dots']
 * ```
 */
export function pop3MessageSet(bigAttachmentBytes = BIG_ATTACHMENT_BYTES): InteropMessage[] {
  const plain = crlf([
    ...head('plain', 'plain ASCII').filter((l) => l !== 'MIME-Version: 1.0'),
    '',
    'Hello Bob,',
    '',
    'From the desk of Ann: a body line that starts with "From " (mbox writers may quote it).',
    '>From a line that already starts with ">From ".',
    '\tA line that starts with a tab, and trailing spaces   ',
    'Bye.',
  ]);
  const big = Buffer.concat([
    crlf([
      ...head('big', 'a 10 MB attachment'),
      'Content-Type: multipart/mixed; boundary="=_pop3-interop-big"',
      '',
      'This is a multi-part message in MIME format.',
      '',
      '--=_pop3-interop-big',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'The attachment is 7.6 MB of noise.',
      '',
      '--=_pop3-interop-big',
      'Content-Type: application/octet-stream; name="noise.bin"',
      'Content-Disposition: attachment; filename="noise.bin"',
      'Content-Transfer-Encoding: base64',
      '',
    ]),
    base64Lines(noise(bigAttachmentBytes)),
    crlf(['--=_pop3-interop-big--']),
  ]);
  const euckr = (s: string): Buffer => iconv.encode(s, 'euc-kr');
  const korean = crlf([
    ...head('korean', `=?EUC-KR?B?${euckr('회의 자료를 보내 드립니다').toString('base64')}?=`).map((l) =>
      l.startsWith('From: ') ? `From: =?EUC-KR?B?${euckr('김민지').toString('base64')}?= <ann@example.test>` : l,
    ),
    'Content-Type: text/plain; charset=EUC-KR',
    'Content-Transfer-Encoding: 8bit',
    '',
    euckr('안녕하세요, 박 과장님.'),
    euckr('내일 회의 자료를 첨부 없이 본문에 정리했습니다.'),
    euckr('.점으로 시작하는 줄과 한글 문장부호 “인용” 및 ‘작은따옴표’.'),
    euckr('감사합니다. 김민지 드림'),
  ]);
  const dots = crlf([
    ...head('dots', 'lines that start with a dot').filter((l) => l !== 'MIME-Version: 1.0'),
    '',
    'The next line is a single dot; POP3 sends it as "..".',
    '.',
    '..',
    '.a line that starts with a dot',
    '..a line that starts with two dots',
    '...',
    ' . a space before the dot',
    '.',
  ]);
  return [
    { key: 'plain', bytes: plain },
    { key: 'big', bytes: big },
    { key: 'korean', bytes: korean },
    { key: 'dots', bytes: dots },
  ];
}

/**
 * The key of a message of the set (from its Message-ID), or null when it has none.
 *
 * @example
 * ```ts
 * messageKey(Buffer.from('Message-ID: <pop3-interop-dots@example.test>\r\n\r\n')); // 'dots'
 * ```
 */
export function messageKey(message: Buffer): string | null {
  const text = message.toString('latin1', 0, Math.min(message.length, 65_536));
  const header = text.slice(0, text.search(/\r?\n\r?\n/) >>> 0); // the whole text when there is no empty line
  const m = /^Message-ID: <pop3-interop-([a-z]+)@example\.test>/im.exec(header);
  return m ? m[1]! : null;
}

/** CRLF → LF, the conversion every client that stores into a Unix mailbox (mbox, Maildir, an MDA pipe) makes. */
export { crlfToLf } from './golden.js';

/**
 * mboxrd quoting (one more '>' before every line matching `^>*From `), for LF text; mpop and GNU Mailutils write it.
 *
 * @example
 * ```ts
 * mboxrdQuote(Buffer.from('From a\n>From b\nFrom\n')).toString(); // '>From a\n>>From b\nFrom\n'
 * ```
 */
export function mboxrdQuote(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/^(>*From )/gm, '>$1'), 'latin1');
}

/** An asctime(3) From_ line (RFC 4155): `From SENDER Thu Nov 26 11:50:41 2026`. */
const FROM_LINE = /^From \S+ (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/**
 * The From_ quoting s-nail applies when it copies a message into an mbox, for LF text: one '>' before each line
 * that starts with "From " and follows an empty line (the start of the body included), and before each line that
 * is a whole From_ line wherever it is. Lines starting with ">From " stay as they are (MBOXO, not mboxrd). This is
 * s-nail 14.9's behaviour as observed (its manual, "mbox-rfc4155", names the "very tolerant POSIX standard rules"
 * for message boundaries and says that `copy` performs "proper, all-compatible From_ quoting").
 *
 * @example
 * ```ts
 * mboxoQuotePosix(Buffer.from('S: x\n\nFrom a\nFrom b\n\n>From c\n')).toString(); // 'S: x\n\n>From a\nFrom b\n\n>From c\n'
 * ```
 */
export function mboxoQuotePosix(b: Buffer): Buffer {
  const text = b
    .toString('latin1')
    .replace(/(?<=\n\n)From /g, '>From ')
    .replace(new RegExp(FROM_LINE.source, 'gm'), (line) => `>${line}`);
  return Buffer.from(text, 'latin1');
}

/**
 * Splits an mbox (LF line ends) into its messages, RFC 4155: a message starts with a From_ line at the start of
 * the file or after an empty line, and is followed by one empty line. Returns each From_ line and the message
 * between it and that empty line; throws when the file is not an mbox of that shape.
 *
 * Only asctime-style From_ lines separate messages, so a body line such as "From the desk of Ann" never does
 * (mutt leaves such lines unquoted, and reads them back the same way).
 *
 * @example
 * ```ts
 * splitMbox(Buffer.from('From a@b Thu Nov 26 11:50:41 2026\nSubject: x\n\nbody\n\n'));
 * // [{ fromLine: 'From a@b Thu Nov 26 11:50:41 2026', message: <Buffer 'Subject: x\n\nbody\n'> }]
 * ```
 */
export function splitMbox(mbox: Buffer): { fromLine: string; message: Buffer }[] {
  const starts: number[] = [];
  for (let at = 0; at < mbox.length; ) {
    const isStart = at === 0 || (mbox[at - 1] === 0x0a && mbox[at - 2] === 0x0a);
    const eol = mbox.indexOf(0x0a, at);
    const line = mbox.toString('latin1', at, eol < 0 ? mbox.length : eol);
    if (isStart && FROM_LINE.test(line)) starts.push(at);
    else if (at === 0) throw new Error(`Cannot split mbox: it starts with ${JSON.stringify(line.slice(0, 80))}, not a From_ line`);
    const next = mbox.indexOf('\n\nFrom ', at);
    at = next < 0 ? mbox.length : next + 2;
  }
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? mbox.length;
    const eol = mbox.indexOf(0x0a, start);
    if (mbox[end - 1] !== 0x0a || mbox[end - 2] !== 0x0a) throw new Error(`Cannot split mbox: message ${i + 1} is not followed by an empty line`);
    return { fromLine: mbox.toString('latin1', start, eol), message: mbox.subarray(eol + 1, end - 1) };
  });
}

/**
 * Where two byte strings first differ, with a little context; null when they are equal. Used instead of
 * assert.equal, whose diff of two 10 MB strings is useless.
 *
 * @example
 * ```ts
 * firstDifference(Buffer.from('abc'), Buffer.from('abd')); // 'first difference at byte 2 of 3/3: got "abc", expected "abd"'
 * ```
 */
export function firstDifference(actual: Buffer, expected: Buffer): string | null {
  if (actual.equals(expected)) return null;
  let i = 0;
  const n = Math.min(actual.length, expected.length);
  while (i < n && actual[i] === expected[i]) i++;
  const show = (b: Buffer): string => JSON.stringify(b.toString('latin1', Math.max(0, i - 40), Math.min(b.length, i + 40)));
  return `first difference at byte ${i} of ${actual.length}/${expected.length}: got ${show(actual)}, expected ${show(expected)}`;
}
