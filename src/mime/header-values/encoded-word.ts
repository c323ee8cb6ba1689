/**
 * RFC 2047 encoded words ("=?charset?B|Q?text?="), both directions.
 *
 * Implements RFC 2047 §2 (syntax, 75-character limit), §4 (B and Q encodings), §5 (where words may appear and which
 * characters Q may leave bare in each place), §6.2 (whitespace between adjacent encoded words is ignored), and
 * RFC 2231 §5 (a language suffix in the charset: `=?UTF-8*en?Q?...?=`).
 *
 * Guarantees: `decodeWords` never throws. Adjacent words with the same charset are joined at the byte level, so a
 * character split across two words (UTF-8, CP949, ISO-2022-JP) comes out whole; base64 split in the middle of a
 * quantum is rejoined before decoding. A value without `=?` is returned as it is (fast path). Scanning is linear in
 * the length of the value. `encodeWords` never splits a code point (nor a surrogate pair) across words, keeps every
 * word within 75 characters, and throws on CR, LF or NUL (header injection).
 * Limits: lone surrogates in the input of `encodeWords` are encoded as U+FFFD. Decoded text is not cleaned of
 * control characters: callers that display it decide.
 */
import { isUtf8 } from 'node:buffer';
import { canonicalCharset, decodeText } from '../charset/index.js';
import { decodeBase64, decodeQp } from '../encodings/index.js';

/** One encoded word found in a value: `[start, end)` is its position, `text` its payload. */
interface FoundWord {
  start: number;
  end: number;
  label: string;
  key: string;
  b: boolean;
  text: string;
}

const MAX_CHARSET = 64;
const WSP_ONLY = /^[ \t\r\n]*$/;
const NON_ASCII = /[^\x00-\x7f]/;

/** Memo of the last `indexOf(needle, from)` so that many unterminated words stay linear. */
class Finder {
  private from = -1;
  private found = -1;
  constructor(private readonly value: string, private readonly needle: string) {}
  next(from: number): number {
    if (this.from !== -1 && from >= this.from && (this.found === -1 || from <= this.found)) return this.found;
    this.from = from;
    this.found = this.value.indexOf(this.needle, from);
    return this.found;
  }
}

/** Parses `=?charset?X?` at `i`; returns the index of the payload and the parts, or null. */
function parseHead(value: string, i: number): { label: string; b: boolean; textStart: number } | null {
  // Scan at most MAX_CHARSET characters, so a long run without '?' costs nothing per candidate.
  const limit = Math.min(value.length, i + 3 + MAX_CHARSET);
  let q = -1;
  let star = -1;
  for (let k = i + 2; k < limit; k++) {
    const c = value.charCodeAt(k);
    if (c === 0x3f /* ? */) {
      q = k;
      break;
    }
    if (c <= 0x20 || c >= 0x7f || c === 0x3d /* = */) return null;
    if (c === 0x2a /* * */ && star === -1) star = k;
  }
  if (q === -1) return null;
  const e = value.charCodeAt(q + 1) | 0x20;
  if ((e !== 0x62 && e !== 0x71) || value.charCodeAt(q + 2) !== 0x3f) return null;
  // RFC 2231 §5: charset*language; the language is dropped.
  const label = value.slice(i + 2, star === -1 ? q : star);
  if (label === '') return null;
  return { label, b: e === 0x62, textStart: q + 3 };
}

/** Finds the encoded word whose head starts at `i`, tolerating missing `?=` and spaces inside the payload. */
function wordAt(value: string, i: number, ends: Finder, heads: Finder, problems: Set<string>): FoundWord | null {
  const head = parseHead(value, i);
  if (!head) return null;
  const { textStart } = head;
  let end = ends.next(textStart);
  let textEnd = end;
  // A '=?' that starts another valid word before our '?=' means this word was never closed.
  for (let p = heads.next(textStart); p !== -1 && (end === -1 || p + 1 < end); p = value.indexOf('=?', p + 1)) {
    if (parseHead(value, p)) {
      end = -1;
      textEnd = p;
      break;
    }
  }
  if (end === -1) {
    problems.add('Encoded word is missing "?="');
    // QUIRK: an unclosed word ends at the next whitespace (or the next word), RFC 2047 §2 has no such form.
    let stop = textEnd === -1 ? value.length : textEnd;
    const ws = value.slice(textStart, stop).search(/[ \t\r\n]/);
    if (ws !== -1) stop = textStart + ws;
    return { start: i, end: stop, label: head.label, key: keyOf(head.label), b: head.b, text: value.slice(textStart, stop) };
  }
  const text = value.slice(textStart, end);
  // QUIRK: Outlook and old mailers leave spaces inside words; RFC 2047 §2 forbids them, the intent is clear.
  if (/[ \t]/.test(text)) problems.add('Encoded word contains whitespace');
  return { start: i, end: end + 2, label: head.label, key: keyOf(head.label), b: head.b, text };
}

function keyOf(label: string): string {
  return canonicalCharset(label) ?? label.toLowerCase();
}

/** Decodes one run of words that share a charset, joining their bytes (RFC 2047 §6.2). */
function decodeGroup(value: string, words: readonly FoundWord[], problems: Set<string>): string {
  // Bytes to decode with the charset, or text that arrived raw (8-bit) inside a Q payload and is already decoded.
  const pieces: (Buffer | string)[] = [];
  let pending: string[] = [];
  let pendingLen = 0;
  const flushBase64 = (): void => {
    if (pendingLen === 0) return;
    const r = decodeBase64(pending.join(''));
    if (r.problems.length > 0) problems.add('Invalid base64 in encoded word');
    pieces.push(r.bytes);
    pending = [];
    pendingLen = 0;
  };
  const q = (text: string): void => {
    const r = decodeQp(text, { encodedWord: true });
    if (r.problems.length > 0) problems.add('Invalid quoted-printable in encoded word');
    pieces.push(r.bytes);
  };
  for (const w of words) {
    if (w.b) {
      const t = w.text.replace(/[ \t\r\n]+/g, '');
      pending.push(t);
      pendingLen += t.length;
      // A word cut in the middle of a base64 quantum continues in the next word.
      if (pendingLen % 4 === 0 || t.endsWith('=')) flushBase64();
    } else {
      flushBase64();
      if (!NON_ASCII.test(w.text)) q(w.text);
      else {
        problems.add('Encoded word contains raw 8-bit text');
        for (const part of w.text.split(/([^\x00-\x7f]+)/)) {
          if (NON_ASCII.test(part)) pieces.push(part);
          else if (part !== '') q(part);
        }
      }
    }
  }
  flushBase64();
  const first = words[0]!;
  if (first.key === 'utf-8' && pieces.length > 1 && pieces.some((p) => p instanceof Buffer && !isUtf8(p))) {
    // RFC 2047 §5: each encoded word must hold whole characters; joining at the byte level recovers the text.
    problems.add('A character is split across encoded words');
  }
  const known = canonicalCharset(first.label) !== null;
  if (!known) problems.add(`Unknown charset "${first.label}" in encoded word`);
  const out: string[] = [];
  let bytes: Buffer[] = [];
  for (let k = 0; k <= pieces.length; k++) {
    const p = pieces[k];
    if (p instanceof Buffer) {
      bytes.push(p);
      continue;
    }
    if (bytes.length > 0) {
      const all = bytes.length === 1 ? bytes[0]! : Buffer.concat(bytes);
      bytes = [];
      if (known) {
        const decoded = decodeText(all, first.label);
        if (decoded.problem !== undefined) problems.add(decoded.problem);
        out.push(decoded.text);
      } else if (isUtf8(all)) {
        // QUIRK: text in an unknown charset is shown only when it is plain UTF-8 (or ASCII); else the words stay as sent.
        out.push(all.toString('utf8'));
      } else return value.slice(first.start, words[words.length - 1]!.end);
    }
    if (typeof p === 'string') out.push(p);
  }
  return out.join('');
}

/**
 * Decodes every encoded word in an unstructured value (Subject, display names, comments).
 *
 * Adjacent encoded words separated only by whitespace are joined (RFC 2047 §6.2), at the byte level when they share
 * a charset. Malformed words (bad base64, unknown charset, missing `?=`, spaces inside, glued to text) are decoded
 * when the intent is clear, else left as they are; each problem is reported once. Never throws.
 *
 * @example
 * ```ts
 * decodeWords('=?UTF-8?Q?Caf=C3=A9?= =?UTF-8?B?w6k=?= ok').text === 'Caféé ok';
 * ```
 */
export function decodeWords(value: string): { text: string; problems: string[] } {
  let i = value.indexOf('=?');
  if (i === -1) return { text: value, problems: [] };
  const problems = new Set<string>();
  const ends = new Finder(value, '?=');
  const heads = new Finder(value, '=?');
  const out: string[] = [];
  let group: FoundWord[] = [];
  let last = 0;
  let glued = false;
  const flush = (): void => {
    if (group.length > 0) out.push(decodeGroup(value, group, problems));
    group = [];
  };
  for (; i !== -1; i = value.indexOf('=?', i)) {
    const w = wordAt(value, i, ends, heads, problems);
    if (!w) {
      i += 1;
      continue;
    }
    const gap = value.slice(last, w.start);
    const prev = group[group.length - 1];
    if (prev !== undefined && WSP_ONLY.test(gap)) {
      // RFC 2047 §6.2: whitespace between adjacent encoded words is not displayed; §5(1): there must be some.
      if (gap === '') glued = true;
      if (prev.key !== w.key) flush();
    } else {
      flush();
      if (gap !== '') {
        out.push(gap);
        if (!/[ \t\r\n(]$/.test(gap)) glued = true;
      }
    }
    group.push(w);
    last = i = w.end;
    if (last < value.length && !/[ \t\r\n)=]/.test(value[last]!)) glued = true;
  }
  flush();
  out.push(value.slice(last));
  // QUIRK: words glued to text ("Re:=?UTF-8?Q?...?=") are decoded anyway, like mailparser and Thunderbird; RFC 2047 §5(1).
  if (glued) problems.add('Encoded word is not separated from text by whitespace');
  return { text: out.join(''), problems: [...problems] };
}

export { encodeWords } from './encode-words.js';
