/**
 * RFC 2047 encoder: turns the words of a header value that cannot be sent as they are into encoded words.
 *
 * Implements RFC 2047 §2 (each encoded word at most 75 characters), §4.1 (B), §4.2 (Q), §5 (the characters Q may
 * leave bare in text, comments and phrases) and §6.2 (whitespace between adjacent encoded words is not displayed, so
 * the whitespace inside a run of encoded words is encoded too).
 *
 * Guarantees: words that need no encoding stay as they are; every run of words that need it becomes a series of
 * `=?UTF-8?B|Q?...?=` words separated by single spaces, whichever of B or Q is shorter (Q on a tie); no code point is
 * split across words; CR, LF and NUL throw. Limits: UTF-8 only; a lone surrogate is encoded as U+FFFD.
 */

/**
 * Where an encoded word will stand (RFC 2047 §5): the context decides which words are encoded and which characters
 * Q may leave bare.
 *
 * @example
 * ```ts
 * encodeWords('Hello (world) ok', { context: 'comment' }) === 'Hello =?UTF-8?Q?=28world=29?= ok';
 * ```
 */
export type WordContext = 'text' | 'phrase' | 'comment';

const PREFIX_Q = '=?UTF-8?Q?';
const PREFIX_B = '=?UTF-8?B?';
const SUFFIX = '?=';
/** RFC 2047 §2: an encoded word is at most 75 characters. */
const MAX_WORD = 75;
const OVERHEAD = PREFIX_Q.length + SUFFIX.length;
const MAX_PAYLOAD = MAX_WORD - OVERHEAD;
/** The longest payload one code point can need (4 bytes as =XX), so every word can hold at least one. */
const MIN_PAYLOAD = 12;

const HEX = '0123456789ABCDEF';

function qTable(bare: (c: number) => boolean): readonly string[] {
  const t: string[] = [];
  for (let b = 0; b < 256; b++) {
    if (b === 0x20) t.push('_'); // RFC 2047 §4.2(2)
    else if (bare(b)) t.push(String.fromCharCode(b));
    else t.push(`=${HEX[b >> 4]!}${HEX[b & 15]!}`);
  }
  return t;
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
// RFC 2047 §5(1): in text, any printable ASCII except "=", "?" and "_".
const Q_TEXT = qTable((c) => c > 0x20 && c < 0x7f && c !== 0x3d && c !== 0x3f && c !== 0x5f);
// RFC 2047 §5(2): in a comment, also not "(", ")" or '"' (nor "\", which ctext excludes).
const Q_COMMENT = qTable(
  (c) => c > 0x20 && c < 0x7f && c !== 0x3d && c !== 0x3f && c !== 0x5f && c !== 0x28 && c !== 0x29 && c !== 0x22 && c !== 0x5c,
);
// RFC 2047 §5(3): in a phrase, only letters, digits, "!", "*", "+", "-", "/".
const Q_PHRASE = qTable((c) => isAlnum(c) || c === 0x21 || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2f);
const Q_TABLES: Record<WordContext, readonly string[]> = { text: Q_TEXT, comment: Q_COMMENT, phrase: Q_PHRASE };

// RFC 5322 §3.2.3 atext.
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
const NEEDS: Record<WordContext, (w: string) => boolean> = {
  text: (w) => /[^\x21-\x7e]/.test(w) || w.includes('=?'),
  comment: (w) => /[^\x21-\x7e]|[()\\]/.test(w) || w.includes('=?'),
  phrase: (w) => !ATEXT.test(w) || w.includes('=?'),
};

/**
 * Options of the internal encoder used by fold.ts, address.ts and params.ts (not re-exported by index.ts).
 *
 * @example
 * ```ts
 * encodeRuns('a\tb c d e', { context: 'comment', whole: true }) === '=?UTF-8?Q?a=09b_c_d_e?=';
 * ```
 */
export interface EncodeRunsOptions {
  context: WordContext;
  /** Which whitespace-separated words must be encoded; default: the context's rule. */
  needs?: (word: string) => boolean;
  /** Encode the whole text, whitespace included, as one run (for a quoted-string or a phrase with odd spacing). */
  whole?: boolean;
  /** Maximum length of the first encoded word when the value starts with one (room left on the first line). */
  firstMax?: number;
}

/**
 * Throws when a builder-side value could inject header lines (CR, LF) or truncate them (NUL).
 *
 * @example
 * ```ts
 * assertNoLineBreak('Cannot encode header "Subject"', 'a\r\nb'); // throws '...: value contains CR or LF'
 * ```
 */
export function assertNoLineBreak(what: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`${what}: value contains CR or LF`);
  if (value.includes('\0')) throw new Error(`${what}: value contains NUL`);
}

/** Splits `bytes` into words of at most `max(i)` payload characters, never inside a code point; returns byte cuts. */
function pack(cpEnds: readonly number[], cost: (from: number, to: number) => number, max: (word: number) => number): number[] {
  const cuts: number[] = [];
  let start = 0;
  let prev = 0;
  for (const end of cpEnds) {
    if (prev > start && cost(start, end) > max(cuts.length)) {
      cuts.push(prev);
      start = prev;
    }
    prev = end;
  }
  cuts.push(prev);
  return cuts;
}

/** Encodes one run of text as a series of encoded words, the first one at most `firstMax` characters. */
function encodeRun(run: string, table: readonly string[], firstMax: number): string {
  const bytes = Buffer.from(run, 'utf8');
  const cpEnds: number[] = [];
  let off = 0;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c < 0x80) off += 1;
    else if (c < 0x800) off += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < run.length && (run.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      off += 4;
      i++;
    } else off += 3; // BMP, or a lone surrogate that Buffer.from writes as EF BF BD
    cpEnds.push(off);
  }
  const qLen: number[] = [0];
  for (let i = 0; i < bytes.length; i++) qLen.push(qLen[i]! + table[bytes[i]!]!.length);
  const max = (word: number): number => (word === 0 ? firstMax : MAX_PAYLOAD);
  const qCuts = pack(cpEnds, (a, b) => qLen[b]! - qLen[a]!, max);
  const bCuts = pack(cpEnds, (a, b) => Math.ceil((b - a) / 3) * 4, max);
  let qTotal = 0;
  let bTotal = 0;
  for (let k = 0, a = 0; k < qCuts.length; a = qCuts[k++]!) qTotal += qLen[qCuts[k]!]! - qLen[a]!;
  for (let k = 0, a = 0; k < bCuts.length; a = bCuts[k++]!) bTotal += Math.ceil((bCuts[k]! - a) / 3) * 4;
  qTotal += qCuts.length * (OVERHEAD + 1);
  bTotal += bCuts.length * (OVERHEAD + 1);
  const words: string[] = [];
  if (qTotal <= bTotal) {
    for (let k = 0, a = 0; k < qCuts.length; a = qCuts[k++]!) {
      const chars: string[] = [PREFIX_Q];
      for (let i = a; i < qCuts[k]!; i++) chars.push(table[bytes[i]!]!);
      chars.push(SUFFIX);
      words.push(chars.join(''));
    }
  } else {
    for (let k = 0, a = 0; k < bCuts.length; a = bCuts[k++]!) {
      words.push(PREFIX_B + bytes.subarray(a, bCuts[k]!).toString('base64') + SUFFIX);
    }
  }
  return words.join(' ');
}

/**
 * Encodes the words of `text` that need it; the engine behind `encodeWords`, also used by fold.ts, address.ts and
 * params.ts. Does not check for CR, LF or NUL: callers do.
 *
 * @example
 * ```ts
 * encodeRuns('x '.repeat(3) + 'é', { context: 'text', needs: (w) => w !== 'x' }) === 'x x x =?UTF-8?B?w6k=?=';
 * ```
 */
export function encodeRuns(text: string, opts: EncodeRunsOptions): string {
  const needs = opts.needs ?? NEEDS[opts.context];
  const table = Q_TABLES[opts.context];
  if (opts.whole === true) return text === '' ? '' : encodeRun(text, table, MAX_PAYLOAD);
  // Alternating word, whitespace, word, ...; a leading or trailing '' word never needs encoding.
  const parts = text.split(/([ \t]+)/);
  const out: string[] = [];
  let column = 0;
  let firstRun = true;
  for (let i = 0; i < parts.length; i += 2) {
    const word = parts[i]!;
    if (word === '' || !needs(word)) {
      out.push(word);
      column += word.length;
    } else {
      let j = i;
      while (j + 2 < parts.length && parts[j + 2] !== '' && needs(parts[j + 2]!)) j += 2;
      const room = firstRun && opts.firstMax !== undefined ? opts.firstMax - column - OVERHEAD : MAX_PAYLOAD;
      firstRun = false;
      const encoded = encodeRun(parts.slice(i, j + 1).join(''), table, Math.min(MAX_PAYLOAD, room < MIN_PAYLOAD ? MAX_PAYLOAD : room));
      out.push(encoded);
      column += encoded.length;
      i = j;
    }
    if (i + 1 < parts.length) {
      out.push(parts[i + 1]!);
      column += parts[i + 1]!.length;
    }
  }
  return out.join('');
}

/**
 * Encodes text for an unstructured field, a phrase (display name) or a comment (RFC 2047 §5).
 *
 * Words that can stand as they are in the context stay as they are; each run of the others becomes `=?UTF-8?B?...?=`
 * or `=?UTF-8?Q?...?=` words (the shorter form), each at most 75 characters, separated by single spaces that a
 * decoder drops (RFC 2047 §6.2). Folding is `formatHeader`'s job. Throws on CR, LF or NUL.
 *
 * @example
 * ```ts
 * encodeWords('Ein schöner Tag') === 'Ein =?UTF-8?Q?sch=C3=B6ner?= Tag';
 * ```
 */
export function encodeWords(text: string, opts?: { charset?: 'utf-8'; context?: WordContext }): string {
  assertNoLineBreak('Cannot encode words', text);
  return encodeRuns(text, { context: opts?.context ?? 'text' });
}
