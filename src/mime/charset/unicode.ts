/**
 * UTF-8 and UTF-16 decoding engines (RFC 3629, RFC 2781; WHATWG Encoding Standard §8, §14).
 *
 * UTF-8 runs at memory speed: whole chunks are validated with `buffer.isUtf8` (SIMD) and converted with
 * `Buffer#toString`; only a sequence cut by a chunk boundary (at most 3 bytes) is carried over. Malformed input is
 * replaced per the WHATWG "maximal subpart" rule (V8's decoder implements it), so a stream cut anywhere decodes to
 * the same text as the whole buffer. A leading byte order mark is removed, as WHATWG `decode` does.
 * UTF-16 honours a BOM; `utf-16` without one follows RFC 2781 §4.3 (big-endian unless the first unit is plainly
 * little-endian ASCII). Unpaired surrogates and a trailing odd byte become U+FFFD.
 */
import { isUtf8 } from 'node:buffer';
import type { Engine } from './engine.js';

/**
 * Length of the prefix of `buf` that ends on a UTF-8 sequence boundary: a lead byte in the last three bytes whose
 * sequence is incomplete is cut off, together with its continuation bytes. Cutting there is safe: a decoder is
 * always in its initial state before a byte that is not a continuation byte.
 *
 * @example
 * utf8CompleteLength(Buffer.from([0x41, 0xe2, 0x82])); // 1 (E2 82 waits for its third byte)
 */
export function utf8CompleteLength(buf: Uint8Array): number {
  const len = buf.length;
  const stop = len > 3 ? len - 3 : 0;
  for (let i = len - 1; i >= stop; i--) {
    const b = buf[i]!;
    if (b < 0x80) return len;
    if (b >= 0xc0) {
      if (b < 0xc2 || b > 0xf4) return len; // RFC 3629 §4: never a lead byte, an error on its own
      // RFC 3629 §3: the lead byte gives the sequence length.
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return len - i < need ? i : len;
    }
  }
  return len;
}

/**
 * Whether `buf` is valid UTF-8 (RFC 3629); with `complete` false, more bytes may follow, so a sequence cut at the
 * end (see {@link utf8CompleteLength}) does not count against it.
 *
 * @example
 * utf8Valid(Buffer.from([0x47, 0xc3]), false); // true: C3 waits for its second byte
 * utf8Valid(Buffer.from([0x47, 0xc3]), true); // false
 */
export function utf8Valid(buf: Uint8Array, complete: boolean): boolean {
  return isUtf8(complete ? buf : buf.subarray(0, utf8CompleteLength(buf)));
}

/**
 * Streaming UTF-8 decoder with a fast path for valid input.
 *
 * @example
 * const e = new Utf8Engine();
 * e.write(Buffer.from([0xe2, 0x82])) + e.write(Buffer.from([0xac])) + e.end(); // '€'
 */
export class Utf8Engine implements Engine {
  flagged = false;
  #pending: Buffer | null = null;
  #atStart: boolean;

  /** @param atStart strip a byte order mark at the beginning (false when text was already emitted). */
  constructor(atStart = true) {
    this.#atStart = atStart;
  }

  write(chunk: Buffer): string {
    let buf = chunk;
    let head = '';
    const p = this.#pending;
    if (p !== null) {
      this.#pending = null;
      // Complete the carried sequence with at most 3 bytes instead of copying the whole chunk.
      const joined = Buffer.concat([p, chunk.subarray(0, 3)]);
      const m = utf8CompleteLength(joined);
      if (m < p.length) {
        // Only possible when the chunk is shorter than the missing bytes: keep waiting.
        this.#pending = joined;
        return '';
      }
      head = this.#piece(joined.subarray(0, m));
      buf = chunk.subarray(m - p.length);
    }
    const n = utf8CompleteLength(buf);
    if (n < buf.length) this.#pending = Buffer.from(buf.subarray(n));
    const body = this.#piece(buf.subarray(0, n));
    return head.length === 0 ? body : head + body;
  }

  end(): string {
    const p = this.#pending;
    this.#pending = null;
    return p === null ? '' : this.#piece(p);
  }

  #piece(b: Buffer): string {
    if (b.length === 0) return '';
    if (this.#atStart) {
      this.#atStart = false;
      // WHATWG Encoding §6 "decode": a leading UTF-8 BOM is not text.
      if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    }
    if (!isUtf8(b)) this.flagged = true;
    return b.toString('utf8');
  }
}

/**
 * Byte order of a UTF-16 stream; `detect` reads a BOM (RFC 2781 §4.3).
 *
 * @example
 * new Utf16Engine('detect');
 */
export type Utf16Order = 'le' | 'be' | 'detect';

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * Streaming UTF-16 decoder.
 *
 * @example
 * const e = new Utf16Engine('detect');
 * e.write(Buffer.from([0xfe, 0xff, 0x00, 0x41])) + e.end(); // 'A'
 */
export class Utf16Engine implements Engine {
  flagged = false;
  #order: Utf16Order;
  #pending: Buffer | null = null;
  #started = false;

  constructor(order: Utf16Order) {
    this.#order = order;
  }

  write(chunk: Buffer): string {
    let buf = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = null;
    if (!this.#started) {
      if (buf.length < 2) {
        if (buf.length > 0) this.#pending = Buffer.from(buf);
        return '';
      }
      this.#started = true;
      buf = this.#sniff(buf);
    }
    let even = buf.length & ~1;
    if (even >= 2) {
      const a = buf[even - 2]!;
      const b = buf[even - 1]!;
      const unit = this.#order === 'le' ? a | (b << 8) : (a << 8) | b;
      // Keep a high surrogate so that a pair cut by the chunk boundary stays a pair.
      if (unit >= 0xd800 && unit <= 0xdbff) even -= 2;
    }
    if (even < buf.length) this.#pending = Buffer.from(buf.subarray(even));
    return this.#units(buf.subarray(0, even));
  }

  end(): string {
    const p = this.#pending;
    this.#pending = null;
    if (p === null || p.length === 0) return '';
    if (!this.#started) {
      this.flagged = true;
      return '\ufffd';
    }
    const even = p.length & ~1;
    const text = this.#units(p.subarray(0, even));
    if (even === p.length) return text;
    this.flagged = true;
    return `${text}\ufffd`;
  }

  #sniff(buf: Buffer): Buffer {
    const b0 = buf[0]!;
    const b1 = buf[1]!;
    if (b0 === 0xff && b1 === 0xfe && this.#order !== 'be') {
      this.#order = 'le';
      return buf.subarray(2);
    }
    if (b0 === 0xfe && b1 === 0xff && this.#order !== 'le') {
      this.#order = 'be';
      return buf.subarray(2);
    }
    if (this.#order === 'detect') {
      // RFC 2781 §4.3: without a BOM, big-endian; QUIRK: unless the first unit is plainly little-endian ASCII,
      // as Windows writes it.
      this.#order = b0 !== 0 && b1 === 0 ? 'le' : 'be';
    }
    return buf;
  }

  #units(b: Buffer): string {
    if (b.length === 0) return '';
    let s: string;
    if (this.#order === 'le') {
      s = b.toString('utf16le');
    } else {
      const copy = Buffer.from(b);
      copy.swap16();
      s = copy.toString('utf16le');
    }
    const w = s as unknown as WellFormed;
    if (w.isWellFormed()) return s;
    this.flagged = true;
    return w.toWellFormed();
  }
}
