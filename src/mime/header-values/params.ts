/**
 * `value; name=value; ...` fields (Content-Type, Content-Disposition): tolerant parser and builder.
 *
 * Implements RFC 2045 §5.1 (token / quoted-string values, comments), RFC 2183 (Content-Disposition), RFC 2231 §3
 * (continuations `name*0`, `name*1`...), §4 (charset and language: `name*=utf-8'en'%E2%82%AC`), §4.1 (both
 * combined) and reads RFC 2047 encoded words inside values (`filename="=?EUC-KR?B?...?="`, which Outlook and
 * Korean and Japanese mailers send though RFC 2047 §5 forbids it).
 *
 * Guarantees: `parseParamValue` never throws and is linear in the input; every deviation it tolerates is reported
 * in `problems`. Percent-encoded segments are joined at the byte level before charset decoding, so a character split
 * across segments comes out whole. At most `maxSegments` segments are kept per parameter (a bound on memory).
 * `formatParams` throws on CR, LF or NUL and on names that are not RFC 2045 tokens; its output is ASCII unless `utf8`.
 * Limits: the RFC 2231 language tag is dropped; `boundary` is never RFC 2047-decoded (its "=?" may be literal).
 */
import { decodeText } from '../charset/index.js';
import { decodeWords } from './encoded-word.js';
import { assertNoLineBreak, encodeRuns } from './encode-words.js';

/**
 * A parsed field: `value` lower-cased without whitespace ('text/plain'), parameter names lower-cased, and what was
 * tolerated in `problems`.
 *
 * @example
 * ```ts
 * const p: ParsedValue = { value: 'text/plain', params: { charset: 'UTF-8' }, problems: [] }; // 'Text/Plain; Charset=UTF-8'
 * ```
 */
export interface ParsedValue {
  value: string;
  params: Record<string, string>;
  problems: string[];
}

interface Segment {
  v: string;
  encoded: boolean;
}

const WS = /[ \t\r\n]/;
/** A parameter name then "=": where a value without ";" before it ends (missing ";"). */
const NEXT_PARAM = /^[ \t\r\n]+[^ \t\r\n;="()]+[ \t\r\n]*=/;

/** Sets an own property, also for names like "__proto__". */
function put(obj: Record<string, string>, key: string, v: string): void {
  Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Reads a quoted-string at `i` (the opening quote); returns its content and the index after it. */
function readQuoted(s: string, i: number, problems: string[]): [string, number] {
  const parts: string[] = [];
  let from = i + 1;
  for (let j = from; j < s.length; j++) {
    const c = s[j];
    // QUIRK: only \" and \\ are escapes, so unescaped Windows paths ("C:\dir\a.txt") survive (as Python reads them).
    if (c === '\\' && (s[j + 1] === '"' || s[j + 1] === '\\')) {
      parts.push(s.slice(from, j));
      from = ++j;
    } else if (c === '"') {
      parts.push(s.slice(from, j));
      return [parts.join(''), j + 1];
    }
  }
  parts.push(s.slice(from));
  problems.push('Unterminated quoted string in parameter value');
  return [parts.join(''), s.length];
}

/** Skips an RFC 2045 comment at `i` (an opening parenthesis); returns the index after it. */
function skipComment(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '(') depth++;
    else if (s[j] === ')' && --depth === 0) return j + 1;
  }
  return s.length;
}

/** Reads an unquoted value at `i`: up to ";" or a missing-";" next parameter; comments after whitespace dropped. */
function readUnquoted(s: string, i: number): [string, number] {
  const parts: string[] = [];
  let from = i;
  let j = i;
  for (; j < s.length; j++) {
    const c = s[j]!;
    if (c === ';') break;
    if (WS.test(c)) {
      if (NEXT_PARAM.test(s.slice(j, j + 200))) break;
      if (s[j + 1] === '(') {
        parts.push(s.slice(from, j));
        j = skipComment(s, j + 1) - 1;
        from = j + 1;
      }
    }
  }
  parts.push(s.slice(from, j));
  return [parts.join('').trim(), j];
}

/** Decodes the segments of one RFC 2231 parameter, joining percent-encoded bytes before charset decoding. */
function joinSegments(name: string, segs: Map<number, Segment>, problems: string[]): string {
  const order = [...segs.keys()].sort((a, b) => a - b);
  if (order.some((n, k) => n !== k)) problems.push(`Parameter "${name}" has missing continuation segments`);
  const out: string[] = [];
  let bytes: number[] = [];
  let charset: string | null = null;
  const flush = (): void => {
    if (bytes.length === 0) return;
    const d = decodeText(Buffer.from(bytes), charset);
    if (d.problem !== undefined) problems.push(`Parameter "${name}": ${d.problem}`);
    out.push(d.text);
    bytes = [];
  };
  order.forEach((n, k) => {
    const seg = segs.get(n)!;
    if (!seg.encoded) {
      flush();
      out.push(seg.v);
      return;
    }
    let v = seg.v;
    if (k === 0) {
      // RFC 2231 §4: charset'language'value in the first segment.
      const q1 = v.indexOf("'");
      const q2 = q1 === -1 ? -1 : v.indexOf("'", q1 + 1);
      if (q2 === -1) problems.push(`Parameter "${name}" has no charset`);
      else {
        charset = v.slice(0, q1) || null;
        v = v.slice(q2 + 1);
      }
    }
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      const hex = c === 0x25 ? /^[0-9a-fA-F]{2}/.exec(v.slice(i + 1, i + 3)) : null;
      if (hex) {
        bytes.push(parseInt(hex[0], 16));
        i += 2;
      } else if (c < 0x80) bytes.push(c);
      else {
        // Raw 8-bit text that was already decoded: keep it as it is.
        flush();
        const cp = v.codePointAt(i)!;
        out.push(String.fromCodePoint(cp));
        if (cp > 0xffff) i++;
      }
    }
  });
  flush();
  return out.join('');
}

/**
 * Parses `value; a=b; c="d"` (Content-Type, Content-Disposition). Handles RFC 2231 continuations in numeric order
 * (gaps tolerated), charsets (`name*=charset'lang'%XX`), both combined; the extended form wins over the plain one.
 * Encoded words inside values are decoded. Tolerates a missing ";", duplicate parameters (the first wins), unquoted
 * values with spaces, unterminated quotes, stray semicolons and comments; each is reported in `problems`.
 *
 * @example
 * ```ts
 * parseParamValue("attachment; filename*=utf-8''%E2%82%AC.txt").params.filename === '€.txt';
 * ```
 */
export function parseParamValue(value: string, opts?: { maxSegments?: number }): ParsedValue {
  const max = opts?.maxSegments ?? 1000;
  const problems: string[] = [];
  const plain = new Map<string, string>();
  const extended = new Map<string, Map<number, Segment>>();
  const capped = new Set<string>();
  // The value itself: up to ";" (or a parameter that lacks its ";"), comments and whitespace removed.
  let i = 0;
  const head: string[] = [];
  for (; i < value.length && value[i] !== ';'; i++) {
    const c = value[i]!;
    if (c === '(') i = skipComment(value, i) - 1;
    else if (WS.test(c)) {
      if (head.length > 0 && NEXT_PARAM.test(value.slice(i, i + 200))) {
        problems.push('Missing ";" before a parameter');
        break;
      }
    } else head.push(c);
  }
  while (i < value.length) {
    const c = value[i]!;
    if (c === ';' || WS.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      i = skipComment(value, i);
      continue;
    }
    const m = /^[^ \t\r\n;="]+/.exec(value.slice(i, i + 1000));
    const rawName = m ? m[0] : value[i]!;
    i += rawName.length;
    while (i < value.length && WS.test(value[i]!)) i++;
    if (value[i] !== '=') {
      problems.push(`Parameter "${rawName.slice(0, 40)}" has no value`);
      continue;
    }
    i++;
    while (i < value.length && WS.test(value[i]!)) i++;
    let v: string;
    if (value[i] === '"') [v, i] = readQuoted(value, i, problems);
    else [v, i] = readUnquoted(value, i);
    if (i < value.length && value[i] !== ';' && !NEXT_PARAM.test(value.slice(i, i + 200))) {
      const [junk, next] = readUnquoted(value, i);
      if (junk !== '') problems.push(`Junk after parameter "${rawName.slice(0, 40)}"`);
      i = next;
    } else if (i < value.length && value[i] !== ';') problems.push('Missing ";" before a parameter');
    const name = rawName.toLowerCase();
    // RFC 2231 §3, §4: name*N, name*N*, name*
    const ext = /^(.+?)(?:\*(\d{1,9}))?(\*)?$/.exec(name);
    if (!ext || (ext[2] === undefined && ext[3] === undefined)) {
      if (plain.has(name)) problems.push(`Duplicate parameter "${name}": the first one is used`);
      else plain.set(name, v);
      continue;
    }
    const base = ext[1]!;
    const n = ext[2] === undefined ? 0 : Number(ext[2]);
    let segs = extended.get(base);
    if (!segs) extended.set(base, (segs = new Map()));
    if (segs.has(n)) problems.push(`Duplicate parameter "${name}": the first one is used`);
    else if (segs.size >= max) {
      if (!capped.has(base)) problems.push(`Parameter "${base}" has more than ${max} segments: the rest are ignored`);
      capped.add(base);
    } else segs.set(n, { v, encoded: ext[3] !== undefined });
  }
  const params: Record<string, string> = {};
  for (const [name, v] of plain) {
    if (extended.has(name)) continue; // RFC 2231: the extended form wins
    put(params, name, name !== 'boundary' && v.includes('=?') ? decodeInto(v, problems) : v);
  }
  for (const [name, segs] of extended) {
    const v = joinSegments(name, segs, problems);
    const allPlain = [...segs.values()].every((s) => !s.encoded);
    put(params, name, allPlain && name !== 'boundary' && v.includes('=?') ? decodeInto(v, problems) : v);
  }
  return { value: head.join('').toLowerCase(), params, problems };
}

function decodeInto(v: string, problems: string[]): string {
  const d = decodeWords(v);
  problems.push(...d.problems);
  return d.text;
}

/** RFC 2045 §5.1 token: printable ASCII except SPACE and tspecials. */
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;
/** RFC 2231 §7 attribute-char that stays bare in an extended value. */
const ATTR_CHAR = /[!#$&+\-.^_`|~0-9A-Za-z]/;
/** A `name=value` element must leave room for " " and ";" on a 78-column line. */
const MAX_ELEMENT = 76;
/** Above this an ASCII quoted-string is split into continuations, so no line comes near 998 octets. */
const MAX_QUOTED = 900;

/** Splits `pieces` (never cut) into continuation values so that `prefix(n) + value` stays within MAX_ELEMENT. */
function chunk(pieces: readonly string[], prefix: (n: number) => number): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let len = 0;
  for (const p of pieces) {
    if (cur.length > 0 && prefix(out.length) + len + p.length > MAX_ELEMENT) {
      out.push(cur.join(''));
      cur = [];
      len = 0;
    }
    cur.push(p);
    len += p.length;
  }
  out.push(cur.join(''));
  return out;
}

const quote = (v: string): string => `"${v.replace(/[\\"]/g, '\\$&')}"`;

/**
 * Formats parameters for the builder: a token when possible, a quoted-string when ASCII (RFC 2045 §5.1), RFC 2231
 * `name*=utf-8''%XX` when not (with `name*0*`, `name*1*`... continuations to keep lines short). `rfc2047Fallback`
 * adds the plain `name="=?UTF-8?B?...?="` form first, for old clients (Outlook, old Korean webmails); `utf8` sends
 * non-ASCII raw in a quoted-string (RFC 6532). Returns `name=value` strings for the caller to join with "; " and
 * fold. Throws on CR, LF or NUL, and on a name that is not a token.
 *
 * @example
 * ```ts
 * formatParams({ filename: 'résumé.pdf' }); // ["filename*=utf-8''r%C3%A9sum%C3%A9.pdf"]
 * ```
 */
export function formatParams(params: Record<string, string>, opts?: { rfc2047Fallback?: boolean; utf8?: boolean }): string[] {
  const out: string[] = [];
  for (const [name, v] of Object.entries(params)) {
    const what = `Cannot encode parameter ${JSON.stringify(name)}`;
    assertNoLineBreak(what, name);
    assertNoLineBreak(what, v);
    if (!TOKEN.test(name) || name.includes('*')) throw new Error(`${what}: name is not an RFC 2045 token`);
    // A value with "=?" goes out percent-encoded, else a reader would RFC 2047-decode it.
    const ascii = /^[\x20-\x7e]*$/.test(v) && !v.includes('=?');
    const short = Buffer.byteLength(v) <= MAX_QUOTED;
    if (short && TOKEN.test(v)) out.push(`${name}=${v}`);
    else if (short && (ascii || (opts?.utf8 === true && !/[\x00-\x08\x0a-\x1f\x7f]|=\?/.test(v)))) {
      out.push(`${name}=${quote(v)}`);
    } else if (ascii) {
      // RFC 2231 §3: plain continuations of a very long ASCII value.
      const pieces = Array.from(v, (c) => (c === '"' || c === '\\' ? `\\${c}` : c));
      chunk(pieces, (n) => `${name}*${n}=""`.length).forEach((p, n) => out.push(`${name}*${n}="${p}"`));
    } else {
      // Inside a quoted-string: the comment rules of RFC 2047 §5(2) keep quotes and backslashes out of Q.
      if (opts?.rfc2047Fallback === true) out.push(`${name}="${encodeRuns(v, { context: 'comment', whole: true })}"`);
      // RFC 2231 §4: percent-encoded UTF-8; a code point's %XX triples stay in one segment.
      const pieces = Array.from(v, (c) => (ATTR_CHAR.test(c) ? c : [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')));
      const single = `${name}*=utf-8''${pieces.join('')}`;
      if (single.length <= MAX_ELEMENT) out.push(single);
      else {
        const first = `utf-8''`;
        chunk(pieces, (n) => `${name}*${n}*=`.length + (n === 0 ? first.length : 0)).forEach((p, n) =>
          out.push(`${name}*${n}*=${n === 0 ? first : ''}${p}`),
        );
      }
    }
  }
  return out;
}
