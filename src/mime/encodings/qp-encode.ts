/**
 * Quoted-printable encoding (RFC 2045 §6.7), streaming and one-shot, plus RFC 2047 'Q' payloads.
 *
 * Text mode: each input line break (CRLF, bare LF or bare CR) becomes a hard CRLF; SP and HT are literal except
 * before a line break or at the end of the body (=20, =09); '=', controls, DEL and 8-bit bytes are escaped; a line
 * that would start with '.' or 'From ' starts with an escape instead (safe against SMTP dot-stuffing mistakes and mbox
 * "From " quoting); soft breaks keep every line within `lineLength` characters, the '=' included, and never split
 * an =XX triplet. Binary mode escapes CR and LF too (=0D, =0A), so the only line breaks are soft ones.
 * Guarantees: decoding the output gives the input back (text mode: with every line break as CRLF); the output does
 * not depend on how the input is split into chunks; the output ends with CRLF only when the input ends with a break.
 * Limits: `lineLength` is an integer from 4 to 76 (RFC 2045 §6.7 rule 5 caps lines at 76); the encoder holds back
 * at most 4 input bytes between chunks.
 */
import { EMPTY, Slab, type BodyEncoder } from './body-codec.js';

const EQ = 0x3d;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');

const LIT = 0; // RFC 2045 §6.7 rule 2: printable ASCII but '='
const BLANK = 1; // rule 3: SP and HT, literal unless they would end a line
const BREAK = 2; // rule 4: CR and LF in text mode
const ESC = 3; // rule 1: everything else, as =XX
/** Byte classes for text mode and for binary mode (where CR and LF are escaped like any other byte). */
const TEXT_CLASS = new Uint8Array(256).fill(ESC);
for (let b = 33; b <= 126; b++) TEXT_CLASS[b] = b === EQ ? ESC : LIT;
TEXT_CLASS[SP] = TEXT_CLASS[HT] = BLANK;
const BINARY_CLASS = TEXT_CLASS.slice();
TEXT_CLASS[CR] = TEXT_CLASS[LF] = BREAK;

class QpEncoder implements BodyEncoder {
  readonly #binary: boolean;
  readonly #max: number; // characters per line, the soft-break '=' included
  #col = 0;
  #afterCr = false; // text mode: the last byte was a CR, so an LF right after it belongs to the same break
  #carry: Buffer | null = null;
  readonly #slab = new Slab();

  constructor(binary: boolean, lineLength: number) {
    this.#binary = binary;
    this.#max = lineLength;
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
    // Each byte gives at most 3 characters; a soft break (3 more) comes at most once per max - 3 characters.
    const out = this.#slab.reserve(3 * end + Math.ceil((9 * end) / (this.#max - 3)) + 8);
    let o = this.#slab.start;
    const cls = this.#binary ? BINARY_CLASS : TEXT_CLASS;
    const max = this.#max;
    let col = this.#col;
    let afterCr = this.#afterCr;
    let i = 0;
    while (i < end) {
      if (col > 0) {
        // Fast path, mid-line (so no line-start rule applies): bytes that fit with room left for a soft break's '=',
        // while the next byte is known (so a blank can be seen not to end its line).
        const room = max - 1;
        while (i + 1 < end) {
          const b = src[i]!;
          const c = cls[b]!;
          if (c === LIT || (c === BLANK && cls[src[i + 1]!] !== BREAK)) {
            if (col >= room) break;
            out[o++] = b;
            col++;
          } else if (c === ESC) {
            if (col + 3 > room) break;
            out[o++] = EQ;
            out[o++] = HEX_DIGITS[b >>> 4]!;
            out[o++] = HEX_DIGITS[b & 15]!;
            col += 3;
          } else {
            break;
          }
          i++;
        }
        // afterCr is already false: col > 0 means the last byte was no break.
      }
      const b = src[i]!;
      const c = cls[b]!;
      if (c === BREAK) {
        // RFC 2045 §6.7 rule 4: a line break in text is a CRLF; bare LF and bare CR are normalized to it.
        if (b === CR || !afterCr) {
          out[o++] = CR;
          out[o++] = LF;
          col = 0;
        }
        afterCr = b === CR;
        i++;
        continue;
      }
      // Is this the last byte before a hard break (or the end of the body)? Needs one byte of lookahead.
      let last: boolean;
      if (i + 1 < end) last = cls[src[i + 1]!] === BREAK;
      else if (final) last = true;
      else break;
      afterCr = false;
      // RFC 2045 §6.7 rule 3: SP and HT may not end a line, since transports strip trailing blanks.
      let literal = c === LIT || (c === BLANK && !last);
      // RFC 2045 §6.7 rule 5: at most 76 characters per line; a line that goes on needs room for its '='.
      if (col + (literal ? 1 : 3) > (last ? max : max - 1)) {
        out[o++] = EQ;
        out[o++] = CR;
        out[o++] = LF;
        col = 0;
      }
      if (col === 0 && literal) {
        // RFC 2049 §3 (8): transports mangle a line of '.' alone and a line starting 'From '; escaping any leading
        // '.' also survives SMTP clients that forget dot-stuffing.
        if (b === 0x2e) {
          literal = false;
        } else if (b === 0x46) {
          if (i + 4 >= end && !final) break;
          literal = !(src[i + 1] === 0x72 && src[i + 2] === 0x6f && src[i + 3] === 0x6d && src[i + 4] === SP);
        }
      }
      if (literal) {
        out[o++] = b;
        col++;
      } else {
        out[o++] = EQ;
        out[o++] = HEX_DIGITS[b >>> 4]!;
        out[o++] = HEX_DIGITS[b & 15]!;
        col += 3;
      }
      i++;
    }
    if (i < end) this.#carry = Buffer.from(src.subarray(i));
    this.#col = col;
    this.#afterCr = afterCr;
    return this.#slab.commit(o);
  }
}

function checkLineLength(lineLength: number): void {
  if (!Number.isInteger(lineLength) || lineLength < 4 || lineLength > 76) {
    throw new RangeError(`Cannot encode quoted-printable: line length ${lineLength} is not an integer from 4 to 76`);
  }
}

/**
 * Creates a streaming quoted-printable encoder (RFC 2045 §6.7); see the module header for the rules of both modes.
 * Throws a RangeError when `lineLength` (default 76) is not an integer from 4 to 76.
 *
 * @example
 * ```ts
 * const enc = createQpEncoder();
 * const out = Buffer.concat([enc.write(Buffer.from('café \n')), enc.write(Buffer.from('.end')), enc.end()]);
 * out.toString(); // 'caf=C3=A9=20\r\n=2Eend'
 * ```
 */
export function createQpEncoder(opts?: { binary?: boolean; lineLength?: number }): BodyEncoder {
  const lineLength = opts?.lineLength ?? 76;
  checkLineLength(lineLength);
  return new QpEncoder(opts?.binary === true, lineLength);
}

/**
 * Encodes a whole body as quoted-printable (RFC 2045 §6.7), in text mode unless `binary` is set.
 *
 * @example
 * ```ts
 * encodeQp(Buffer.from('a=b\r\nFrom me')).toString();          // 'a=3Db\r\n=46rom me'
 * encodeQp(Buffer.from('x\r\n'), { binary: true }).toString(); // 'x=0D=0A'
 * ```
 */
export function encodeQp(bytes: Buffer, opts?: { binary?: boolean }): Buffer {
  const enc = new QpEncoder(opts?.binary === true, 76);
  const head = enc.write(bytes);
  const tail = enc.end();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** RFC 2047 §5 (3): the characters a 'Q' word may carry literally anywhere, even in a phrase. */
const Q_SAFE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/') Q_SAFE[c.charCodeAt(0)] = 1;

/**
 * Encodes bytes as one RFC 2047 'Q' payload, without folding: a space becomes '_' (RFC 2047 §4.2 (2)), the
 * RFC 2047 §5 (3) safe set stays literal, and every other byte becomes =XX.
 *
 * @example
 * ```ts
 * encodeQWord(Buffer.from('café au lait?')); // 'caf=C3=A9_au_lait=3F'
 * ```
 */
export function encodeQWord(bytes: Buffer): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (Q_SAFE[b] === 1) s += String.fromCharCode(b);
    else if (b === SP) s += '_';
    else s += `=${String.fromCharCode(HEX_DIGITS[b >>> 4]!, HEX_DIGITS[b & 15]!)}`;
  }
  return s;
}
