/**
 * Header line builder: `Name: value` folded at whitespace (RFC 5322 §2.2.3), with RFC 2047 encoding of unstructured
 * values.
 *
 * Implements RFC 5322 §2.1.1 (lines SHOULD be at most 78 characters and MUST be at most 998), §2.2 (field names are
 * printable ASCII except ":"), §2.2.3 (folding inserts CRLF before whitespace, unfolding removes it), RFC 2047 §2 (a
 * line holding an encoded word is at most 76 characters) and RFC 6532 §3 (raw UTF-8 in SMTPUTF8 mode; lengths
 * counted in octets).
 *
 * Guarantees: unfolding the result gives `Name: value` back (unstructured values: their RFC 2047 encoding); lines
 * are at most 78 octets unless a single word is longer, and never more than 998 (else it throws); CR, LF or NUL in
 * the name or value throw, so header injection is impossible. In an unstructured value, a word that would not fit in
 * 998 octets is encoded (RFC 2047 words can be split), and so is any word containing `=?` (else a reader would
 * decode it). Limits: structured values are folded only where they already have whitespace; they must be ASCII
 * unless `utf8` is set.
 */
import { assertNoLineBreak, encodeRuns } from './encode-words.js';

/** RFC 5322 §2.1.1: SHOULD be no more than 78 characters, excluding the CRLF. */
const MAX_LINE = 78;
/** RFC 5322 §2.1.1: MUST be no more than 998 characters, excluding the CRLF. */
const HARD_LIMIT = 998;
/** RFC 5322 §2.2: ftext is printable US-ASCII except ":". */
const FTEXT = /^[\x21-\x39\x3b-\x7e]+$/;
const NON_ASCII = /[^\x00-\x7f]/;

/** Length in octets (RFC 6532 §3.4: limits count octets, not characters). */
function octets(s: string): number {
  return NON_ASCII.test(s) ? Buffer.byteLength(s, 'utf8') : s.length;
}

/** Folds `head` + ' ' + `body` at whitespace; throws when a line would exceed 998 octets. */
function fold(what: string, head: string, body: string): string {
  const lines: string[] = [];
  let line = [head];
  let lineLen = octets(head);
  let headOnly = true;
  // Each segment is whitespace then a word, or trailing whitespace; folding happens only before a segment.
  const segments = (body === '' ? [] : (' ' + body).match(/[ \t]+[^ \t]*/g)) ?? [];
  for (const seg of segments) {
    const segLen = octets(seg);
    const hasWord = /[^ \t]/.test(seg);
    // A word longer than a line goes on a line of its own, except right after the field name.
    const append = !hasWord || lineLen + segLen <= MAX_LINE || (headOnly && segLen > MAX_LINE && lineLen + segLen <= HARD_LIMIT);
    if (append) {
      line.push(seg);
      lineLen += segLen;
    } else if (segLen <= HARD_LIMIT) {
      lines.push(line.join(''));
      line = [seg];
      lineLen = segLen;
    } else {
      // A whitespace run too long for one line: leave part of it at the end of this line (RFC 5322 §3.2.2 FWS).
      const ws = /^[ \t]+/.exec(seg)![0];
      const spill = Math.min(ws.length - 1, HARD_LIMIT - lineLen);
      const keep = segLen - spill;
      if (keep > HARD_LIMIT) throw new Error(`${what}: a line would exceed 998 octets`);
      line.push(ws.slice(0, spill));
      lines.push(line.join(''));
      line = [seg.slice(spill)];
      lineLen = keep;
    }
    if (hasWord) headOnly = false;
    if (lineLen > HARD_LIMIT) throw new Error(`${what}: a line would exceed 998 octets`);
  }
  lines.push(line.join(''));
  return lines.join('\r\n');
}

/**
 * Builds a complete header line `Name: value`, folded at whitespace so that lines are at most 78 columns where
 * possible (never more than 998), with CRLF between folded lines and no trailing CRLF.
 *
 * Non-ASCII in an unstructured value is encoded with RFC 2047 encoded words unless `opts.utf8` is true (SMTPUTF8,
 * RFC 6532: raw UTF-8 kept). Structured values (`opts.structured`, e.g. To, Content-Type, built by
 * `formatAddressList` or `formatParams`) are only folded. Throws on CR, LF or NUL in the name or value, on a name
 * that is not RFC 5322 ftext, and on non-ASCII in a structured value without `utf8`.
 *
 * @example
 * ```ts
 * formatHeader('Subject', 'Ein schöner Tag') === 'Subject: Ein =?UTF-8?Q?sch=C3=B6ner?= Tag';
 * ```
 */
export function formatHeader(name: string, value: string, opts?: { utf8?: boolean; structured?: boolean }): string {
  const what = `Cannot encode header ${JSON.stringify(name)}`;
  assertNoLineBreak(what, name);
  if (!FTEXT.test(name)) throw new Error(`${what}: field name must be printable ASCII without ":"`);
  assertNoLineBreak(what, value);
  const utf8 = opts?.utf8 === true;
  const head = `${name}:`;
  let body = value;
  if (opts?.structured === true) {
    if (!utf8 && NON_ASCII.test(value)) throw new Error(`${what}: structured value contains non-ASCII characters`);
  } else {
    // A word after one WSP on a continuation line must fit in 998 octets.
    const needs = utf8
      ? (w: string): boolean => /[\x00-\x1f\x7f]/.test(w) || w.includes('=?') || octets(w) >= HARD_LIMIT
      : (w: string): boolean => /[^\x21-\x7e]/.test(w) || w.includes('=?') || w.length >= HARD_LIMIT;
    const fast = utf8 ? /[\x00-\x08\x0a-\x1f\x7f]|=\?/ : /[^\x20-\x7e\t]|=\?/;
    if (fast.test(value) || value.length >= HARD_LIMIT) {
      body = encodeRuns(value, { context: 'text', needs, firstMax: MAX_LINE - head.length - 1 });
    }
  }
  return fold(what, head, body);
}
