/**
 * Quoted-printable decoding (RFC 2045 §6.7), streaming and one-shot, plus the RFC 2047 §4.2 'Q' variant.
 *
 * Rules: `=XX` takes upper- or lower-case hex; `=` followed by optional SP/HT and then CRLF or LF is a soft line break
 * (also `=` then a bare CR, and `=` at the very end of the body); whitespace at the end of a line, or of the body, is
 * removed (§6.7 rule 3); a `=` that starts none of these is kept literally and reported once per body; every other
 * byte, 8-bit and control bytes included, is kept as it is, and line breaks keep the bytes the body used (CRLF or LF).
 * Guarantees: the output is the same for any split of the input into chunks; nothing throws on malformed input.
 * Speed: one tight byte loop over a Buffer, writing into a shared output slab, no strings. Jumping between '=' and
 * LF with indexOf (or mixing both) measured no faster on plain text and up to 1.7× slower on accented text and
 * HTML: QP lines are short, and the native calls cost more than scanning them.
 * Limits: a run of more than 998 SP/HT (RFC 5322 §2.1.1's line limit) is kept even at the end of a line, which bounds
 * what the decoder holds back between chunks; the encoders live in `qp-encode.ts`.
 */
import { EMPTY, Slab, type BodyDecoder } from './body-codec.js';

/** Hex digit value (either case) or -1. */
const HEX = new Int8Array(256).fill(-1);
for (let d = 0; d < 10; d++) HEX[0x30 + d] = d;
for (let d = 0; d < 6; d++) {
  HEX[0x41 + d] = 10 + d;
  HEX[0x61 + d] = 10 + d;
}

const EQ = 0x3d;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
/** Longest whitespace run that is still removed before a line break (and so may be held back between chunks). */
const MAX_TRAILING_WS = 998;
const STRAY = 'Quoted-printable body contains a stray "="';

class QpDecoder implements BodyDecoder {
  #carry: Buffer | null = null; // the unresolved tail of the previous chunk
  #longWs = false; // the previous chunk ended inside a whitespace run longer than MAX_TRAILING_WS
  #stray = false;
  readonly #slab = new Slab();

  get problems(): readonly string[] {
    return this.#stray ? [STRAY] : [];
  }

  write(chunk: Buffer): Buffer {
    return chunk.length === 0 ? EMPTY : this.#run(chunk, false);
  }

  end(): Buffer {
    return this.#run(EMPTY, true);
  }

  #run(chunk: Buffer, final: boolean): Buffer {
    let src = chunk;
    if (this.#carry !== null) {
      src = Buffer.concat([this.#carry, chunk]);
      this.#carry = null;
    }
    const end = src.length;
    if (end === 0) return EMPTY;
    const longWs = this.#longWs;
    this.#longWs = false;
    const out = this.#slab.reserve(end); // decoding never makes the text longer
    let o = this.#slab.start;
    let i = 0;
    while (i < end) {
      // Copy literal text up to the next '=' or LF; the copied bytes are edited in place below when they turn out
      // to be trailing blanks.
      const segI = i;
      const segO = o;
      let b = 0;
      while (i < end) {
        b = src[i]!;
        if (b === EQ || b === LF) break;
        out[o++] = b;
        i++;
      }
      // Where the segment's trailing blanks (before a final CR) start, in `out`.
      const cr = o > segO && out[o - 1] === CR;
      const e = cr ? o - 1 : o;
      let w = e;
      while (w > segO && (out[w - 1] === SP || out[w - 1] === HT)) w--;
      // QUIRK: a run too long to be transport padding is kept, and remembered across chunks so that the result
      // does not depend on where the run was cut (see the header's limits).
      const long = e - w > MAX_TRAILING_WS || (segI === 0 && w === segO && longWs);
      if (b === LF && i < end) {
        // RFC 2045 §6.7 rule 3: drop the blanks the line ends with; keep CRLF or LF as sent.
        o = long ? e : w;
        if (cr) out[o++] = CR;
        out[o++] = LF;
        i++;
        continue;
      }
      if (i === end) {
        if (final) {
          if (!cr && !long) o = w; // §6.7 rule 3 at the end of the body; a final CR stays
        } else {
          // Hold back blanks and a final CR: the next chunk may start with the line break that makes them trailing.
          const keep = long ? e : w;
          if (long && w < e) this.#longWs = !cr;
          if (keep < o) this.#carry = Buffer.from(src.subarray(segI + (keep - segO), end));
          o = keep;
        }
        break;
      }
      const eq = i;
      // An escape, a soft line break, or a stray '=' at `eq`.
      i = eq + 1;
      if (i + 1 < end && HEX[src[i]!]! >= 0 && HEX[src[i + 1]!]! >= 0) {
        // Runs of escapes (non-Latin text) are decoded here without going round the outer loop.
        out[o++] = (HEX[src[i]!]! << 4) | HEX[src[i + 1]!]!;
        i += 2;
        while (i + 2 < end && src[i] === EQ && HEX[src[i + 1]!]! >= 0 && HEX[src[i + 2]!]! >= 0) {
          out[o++] = (HEX[src[i + 1]!]! << 4) | HEX[src[i + 2]!]!;
          i += 3;
        }
        continue;
      }
      let q = i;
      while (q < end && q - i <= MAX_TRAILING_WS && (src[q] === SP || src[q] === HT)) q++;
      const c = q < end ? src[q]! : -1;
      if (q - i > MAX_TRAILING_WS) {
        // A '=' followed by a very long blank run: not a soft break (see the header's limits).
      } else if (c === LF) {
        i = q + 1; // RFC 2045 §6.7 rule 5: soft line break
        continue;
      } else if (c === CR) {
        if (q + 1 === end && !final) {
          this.#carry = Buffer.from(src.subarray(eq));
          break;
        }
        // QUIRK: '=' then a bare CR is taken as a soft break too (old Mac line ends), RFC 2045 §6.7 rule 5.
        i = q + 1 < end && src[q + 1] === LF ? q + 2 : q + 1;
        continue;
      } else if (c === -1 || (q === i && q + 1 === end && HEX[c]! >= 0)) {
        // The chunk ends inside '=', '=X' or '=' plus blanks: wait for more, or at the end of the body drop a final
        // soft break ('=' and blanks) and keep a '=' that starts an incomplete escape.
        if (!final) {
          this.#carry = Buffer.from(src.subarray(eq));
          break;
        }
        if (c === -1) {
          i = end;
          break;
        }
      }
      // RFC 2045 §6.7 note (2): a '=' that starts no escape is kept as it is ("robust" decoding).
      out[o++] = EQ;
      this.#stray = true;
    }
    return this.#slab.commit(o);
  }
}

/**
 * Creates a streaming quoted-printable decoder (RFC 2045 §6.7) that keeps the line breaks the body used.
 *
 * @example
 * ```ts
 * const dec = createQpDecoder();
 * const parts = [dec.write(Buffer.from('caf=C3=A9 =\r\nau la')), dec.write(Buffer.from('it  \r\nend')), dec.end()];
 * Buffer.concat(parts).toString(); // 'café au lait\r\nend'
 * ```
 */
export function createQpDecoder(): BodyDecoder {
  return new QpDecoder();
}

/** RFC 2047 §4.2: 'Q' is QP restricted to one encoded word, where '_' stands for a space and there are no lines. */
function decodeQWord(src: Buffer): { bytes: Buffer; problems: string[] } {
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  let stray = false;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x5f) {
      out[o++] = SP; // RFC 2047 §4.2 (2)
    } else if (b === EQ && i + 2 < src.length && HEX[src[i + 1]!]! >= 0 && HEX[src[i + 2]!]! >= 0) {
      out[o++] = (HEX[src[i + 1]!]! << 4) | HEX[src[i + 2]!]!; // RFC 2047 §4.2 (1)
      i += 2;
    } else {
      if (b === EQ) stray = true;
      out[o++] = b;
    }
  }
  return { bytes: out.subarray(0, o), problems: stray ? [STRAY] : [] };
}

/**
 * Decodes a whole quoted-printable text at once. With `encodedWord`, decodes an RFC 2047 'Q' payload instead:
 * '_' is a space (RFC 2047 §4.2) and there are no soft line breaks or whitespace rules. A string is read as UTF-8,
 * so raw non-ASCII text left in a payload by a broken mailer keeps its UTF-8 bytes.
 *
 * @example
 * ```ts
 * decodeQp('Gr=FC=DFe =\r\nan alle').bytes.toString('latin1');  // 'Grüße an alle'
 * decodeQp('caf=C3=A9_noir', { encodedWord: true }).bytes.toString(); // 'café noir'
 * decodeQp('100% =X').problems;                                  // ['Quoted-printable body contains a stray "="']
 * ```
 */
export function decodeQp(input: Buffer | string, opts?: { encodedWord?: boolean }): { bytes: Buffer; problems: string[] } {
  const src = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (opts?.encodedWord === true) return decodeQWord(src);
  const dec = new QpDecoder();
  const head = dec.write(src);
  const tail = dec.end();
  return { bytes: tail.length === 0 ? head : Buffer.concat([head, tail]), problems: [...dec.problems] };
}
