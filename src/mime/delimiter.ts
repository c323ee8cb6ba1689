/**
 * Delimiter lines of multipart bodies (RFC 2046 §5.1.1): "--" boundary at the start of a line, matched against
 * every open multipart at once.
 *
 * Guarantees: bounded look-ahead (the longest boundary plus MAX_PADDING bytes); the answer is 'more' instead of a
 * guess when the input ends before it is known and more input may come.
 */
import type { PartNode } from './part-node.js';

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
/** A delimiter line whose rest (after the boundary) is longer than this is not one (bounds the look-ahead). */
export const MAX_PADDING = 998;

/** An open multipart and its boundary. */
export interface Bound {
  node: PartNode;
  boundary: Buffer;
}

/** A delimiter line that matched. */
export interface DelimiterMatch {
  bound: Bound;
  close: boolean;
  /** Relative index of the first byte after the delimiter line. */
  next: number;
  /** Relative index of the delimiter line's line break (after the rest of the line), or of its end at EOF. */
  brk: number;
}

/**
 * Matches a delimiter line at `p` in `buf`: null when it is not one, 'more' when the input ends before that is
 * known. RFC 2046 §5.1.1, note to implementors: the boundary is compared with the beginning of the line; an exact
 * match of the whole line is not required, so what follows the boundary (and its "--") up to the line end,
 * transport padding or text a broken mailer added, is part of the delimiter line. When several open boundaries
 * match, the longest wins, so a boundary that is a prefix of another never takes the other's lines; among equal
 * ones (a boundary reused by a nested multipart) the innermost wins. (Dovecot decides the same way.)
 */
export function matchDelimiter(buf: Buffer, p: number, bounds: readonly Bound[], final: boolean): DelimiterMatch | null | 'more' {
  if (p + 2 > buf.length) return final ? null : 'more';
  if (buf[p] !== DASH || buf[p + 1] !== DASH) return null;
  const from = p + 2;
  const avail = buf.length - from;
  let best: Bound | null = null;
  let undecided = 0; // length of the longest boundary that the input ends inside of
  for (let k = bounds.length - 1; k >= 0; k--) {
    const bound = bounds[k]!;
    const b = bound.boundary;
    if (best !== null && b.length <= best.boundary.length) continue;
    const n = Math.min(b.length, avail);
    if (buf.compare(b, 0, n, from, from + n) !== 0) continue;
    if (n < b.length) undecided = Math.max(undecided, b.length);
    else best = bound;
  }
  if (!final && undecided > (best === null ? 0 : best.boundary.length)) return 'more';
  if (best === null) return null;
  let q = from + best.boundary.length;
  if (!final && (q >= buf.length || (buf[q] === DASH && q + 1 >= buf.length))) return 'more';
  const close = buf[q] === DASH && buf[q + 1] === DASH;
  if (close) q += 2;
  // The line ends at the first CR or LF (a bare CR ends it too: old Macintosh line ends); the rest of the line is
  // looked at for at most MAX_PADDING bytes, which bounds the look-ahead; a longer line is not a delimiter.
  const limit = Math.min(buf.length, q + MAX_PADDING + 1);
  let e = q;
  while (e < limit && buf[e] !== LF && buf[e] !== CR) e++;
  if (e === limit) {
    if (e < buf.length) return null;
    return final ? { bound: best, close, next: e, brk: e } : 'more';
  }
  if (buf[e] === LF) return { bound: best, close, next: e + 1, brk: e };
  if (e + 1 >= buf.length && !final) return 'more';
  return { bound: best, close, next: buf[e + 1] === LF ? e + 2 : e + 1, brk: e };
}
