/**
 * Quoted-printable decoding (RFC 2045 §6.7), streaming and one-shot, plus the RFC 2047 §4.2 'Q' variant.
 *
 * Rules: `=XX` takes upper- or lower-case hex; `=` followed by optional SP/HT and then CRLF or LF is a soft line break
 * (also `=` then a bare CR, and `=` at the very end of the body); whitespace at the end of a line, or of the body, is
 * removed (§6.7 rule 3); a `=` that starts none of these is kept literally and reported once per body; every other
 * byte, 8-bit and control bytes included, is kept as it is, and line breaks keep the bytes the body used (CRLF or LF).
 * Guarantees: the output is the same for any split of the input into chunks; nothing throws on malformed input.
 * Speed: a tight loop over a Buffer that jumps between '=' and LF with indexOf and copies the text between them.
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

/** Copies `src[from, to)` to `out[o]`; a JS loop beats the native call for the short runs typical of QP. */
function copy(src: Buffer, from: number, to: number, out: Buffer, o: number): number {
  if (to - from > 48) return o + src.copy(out, o, from, to);
  while (from < to) out[o++] = src[from++]!;
  return o;
}

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
    let eq = -1;
    let lf = -1;
    while (i < end) {
      if (eq < i) {
        eq = src.indexOf(EQ, i);
        if (eq < 0) eq = end;
      }
      if (lf < i) {
        lf = src.indexOf(LF, i);
        if (lf < 0) lf = end;
      }
      if (lf < eq) {
        // A hard line break: RFC 2045 §6.7 rule 3, drop the whitespace the line ends with, keep CRLF or LF as sent.
        const e = lf > i && src[lf - 1] === CR ? lf - 1 : lf;
        let w = e;
        while (w > i && (src[w - 1] === SP || src[w - 1] === HT)) w--;
        if (e - w > MAX_TRAILING_WS || (w === 0 && longWs)) w = e;
        o = copy(src, i, w, out, o);
        o = copy(src, e, lf + 1, out, o);
        i = lf + 1;
        continue;
      }
      if (eq === end) {
        // The rest holds neither '=' nor LF: keep it, except for blanks that end the body or that a line break may
        // still follow (held back, with a final CR, until the next chunk shows what comes next).
        const e = !final && src[end - 1] === CR ? end - 1 : end;
        let w = e;
        while (w > i && (src[w - 1] === SP || src[w - 1] === HT)) w--;
        if (w < e && (e - w > MAX_TRAILING_WS || (w === 0 && longWs))) {
          // QUIRK: too long to be transport padding; keep it, and remember across chunks so that the result
          // does not depend on where the run was cut.
          w = e;
          this.#longWs = !final && e === end;
        }
        o = copy(src, i, w, out, o);
        if (!final && w < end) this.#carry = Buffer.from(src.subarray(w, end));
        break;
      }
      o = copy(src, i, eq, out, o);
      // An escape, a soft line break, or a stray '=' at `eq`.
      i = eq + 1;
      if (i + 1 < end && HEX[src[i]!]! >= 0 && HEX[src[i + 1]!]! >= 0) {
        // Runs of escapes (non-Latin text) are decoded here without another indexOf.
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
 * '_' is a space (RFC 2047 §4.2) and there are no soft line breaks or whitespace rules.
 *
 * @example
 * ```ts
 * decodeQp('Gr=FC=DFe =\r\nan alle').bytes.toString('latin1');  // 'Grüße an alle'
 * decodeQp('caf=C3=A9_noir', { encodedWord: true }).bytes.toString(); // 'café noir'
 * decodeQp('100% =X').problems;                                  // ['Quoted-printable body contains a stray "="']
 * ```
 */
export function decodeQp(input: Buffer | string, opts?: { encodedWord?: boolean }): { bytes: Buffer; problems: string[] } {
  const src = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  if (opts?.encodedWord === true) return decodeQWord(src);
  const dec = new QpDecoder();
  const head = dec.write(src);
  const tail = dec.end();
  return { bytes: tail.length === 0 ? head : Buffer.concat([head, tail]), problems: [...dec.problems] };
}
