/**
 * UTF-7 decoding (RFC 2152), still found in old mail. iconv-lite's decoder loses a `+` cut by a chunk boundary,
 * so this one keeps its whole state (shift, pending bits, a high surrogate) across chunks.
 *
 * Rules: ASCII bytes other than `+` are themselves; `+` starts modified base64 of UTF-16 code units; any byte
 * outside the base64 alphabet ends it, and a `-` ending it is absorbed; `+-` is `+`.
 * Leniency: `+` followed by a byte that is neither base64 nor `-` is read as a literal `+`; leftover bits are dropped.
 * Limits: 8-bit bytes and unpaired surrogates become U+FFFD and flag the engine.
 */
import { unitsToString, type Engine } from './engine.js';

const PLUS = 0x2b;
const MINUS = 0x2d;

// RFC 2152 Rule 2: the base64 alphabet of RFC 2045 without `=`.
const B64 = new Int8Array(256).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < ALPHABET.length; i++) B64[ALPHABET.charCodeAt(i)] = i;

/**
 * Streaming UTF-7 decoder.
 *
 * @example
 * const e = new Utf7Engine();
 * e.write(Buffer.from('Hi Mom -+Jjo')) + e.write(Buffer.from('--!')) + e.end(); // 'Hi Mom -☺-!'
 */
export class Utf7Engine implements Engine {
  flagged = false;
  #shifted = false;
  #fresh = false; // just after `+`, no base64 yet
  #bits = 0;
  #nbits = 0;
  #high = -1; // a high surrogate waiting for its pair

  write(chunk: Buffer): string {
    const units: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.#shifted) {
        const v = B64[b]!;
        if (v >= 0) {
          this.#fresh = false;
          this.#bits = (this.#bits << 6) | v;
          this.#nbits += 6;
          if (this.#nbits >= 16) {
            this.#nbits -= 16;
            this.#unit(units, (this.#bits >>> this.#nbits) & 0xffff);
            this.#bits &= (1 << this.#nbits) - 1;
          }
          continue;
        }
        this.#shifted = false;
        this.#bits = 0;
        this.#nbits = 0;
        if (this.#fresh) {
          this.#fresh = false;
          this.#unit(units, PLUS); // `+-` (Rule 2) or, leniently, a lone `+`
          if (b === MINUS) continue;
        } else if (b === MINUS) {
          continue; // Rule 2: a `-` that ends base64 is absorbed
        }
      }
      if (b === PLUS) {
        this.#shifted = true;
        this.#fresh = true;
      } else if (b >= 0x80) {
        this.#bad(units);
      } else {
        this.#unit(units, b);
      }
    }
    return unitsToString(units);
  }

  end(): string {
    const units: number[] = [];
    if (this.#shifted && this.#fresh) this.#unit(units, PLUS);
    if (this.#high >= 0) {
      this.#high = -1;
      this.#bad(units);
    }
    this.#shifted = false;
    this.#fresh = false;
    return unitsToString(units);
  }

  #unit(units: number[], u: number): void {
    if (this.#high >= 0) {
      const high = this.#high;
      this.#high = -1;
      if (u >= 0xdc00 && u <= 0xdfff) {
        units.push(high, u);
        return;
      }
      this.#bad(units);
    }
    if (u >= 0xd800 && u <= 0xdbff) this.#high = u;
    else if (u >= 0xdc00 && u <= 0xdfff) this.#bad(units);
    else units.push(u);
  }

  #bad(units: number[]): void {
    units.push(0xfffd);
    this.flagged = true;
  }
}
