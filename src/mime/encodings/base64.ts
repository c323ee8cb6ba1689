/**
 * Base64 Content-Transfer-Encoding (RFC 2045 §6.8), streaming and one-shot, decoding and encoding.
 *
 * Decoding follows what real mail needs: whitespace and line breaks are ignored anywhere; characters outside the
 * RFC 2045 alphabet (including base64url's `-` and `_`) are skipped and counted into one problem per body; `=` ends a
 * quantum and decoding goes on after it (concatenated bodies from broken mailers); a final quantum of 2 or 3
 * characters is decoded as far as it goes, and only a lone final character is reported.
 * Guarantees: the output is the same for any split of the input into chunks; nothing throws on malformed input.
 * Speed: regular lines (every line the same length, CRLF or LF) are handed to Node's native decoder in regions of up
 * to 64 KiB (larger one-byte strings leave V8's young generation and decode 3-4× slower); a region is accepted only
 * when the native output has exactly the length its line layout predicts, which proves it held no stray character.
 * Anything irregular falls back to a byte loop, line by line, so malformed input costs speed, never correctness.
 * Limits: the encoder's line length must be a multiple of 4 from 4 to 76 (RFC 2045 §6.8 caps lines at 76).
 */
import { EMPTY, Slab, type BodyDecoder, type BodyEncoder } from './body-codec.js';

const WS = 64;
const PAD = 65;
const JUNK = 66;
/** Byte → sextet (0-63), or WS / PAD / JUNK. RFC 2045 §6.8 Table 1; SP, HT, CR and LF are the ignorable whitespace. */
const CLASS = new Uint8Array(256).fill(JUNK);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let v = 0; v < 64; v++) CLASS[ALPHABET.charCodeAt(v)] = v;
CLASS[0x3d] = PAD;
for (const c of [0x20, 0x09, 0x0d, 0x0a]) CLASS[c] = WS;

/** Largest region given to the native decoder at once (see the header: one-byte strings above this decode slower). */
const REGION = 65536;
/** Below this many bytes a single unwrapped run is not worth a native call. */
const MIN_RUN = 64;

class Base64Decoder implements BodyDecoder {
  #bits = 0; // sextets of the current quantum, most significant first
  #count = 0; // characters in the current quantum (0-3)
  #junk = 0;
  #padOne = false; // a quantum of one character was cut by `=`
  #endOne = false; // the body ended with a quantum of one character
  // Per-write cursor, kept on the instance so that the helpers can advance it.
  #o = 0;
  #slowUntil = 0;
  readonly #slab = new Slab();

  get problems(): readonly string[] {
    const p: string[] = [];
    if (this.#junk > 0) p.push(`Base64 body contains ${this.#junk} invalid character${this.#junk === 1 ? '' : 's'}`);
    if (this.#padOne) p.push('Base64 body contains a quantum of 1 character before padding');
    if (this.#endOne) p.push('Base64 body ends with an incomplete quantum');
    return p;
  }

  write(chunk: Buffer): Buffer {
    const end = chunk.length;
    if (end === 0) return EMPTY;
    const out = this.#slab.reserve(((end + 3) >>> 2) * 3 + 3);
    this.#o = this.#slab.start;
    this.#slowUntil = 0;
    // Next position of each byte the fast path must not see ('=' ends a segment; '-' and '_' are base64url,
    // which Node would decode but RFC 2045 does not allow) and of the next LF. -1 = not searched yet.
    let eq = -1;
    let dash = -1;
    let under = -1;
    let lf = -1;
    let pos = 0;
    while (pos < end) {
      if (eq < pos) eq = indexOrEnd(chunk, 0x3d, pos);
      if (dash < pos) dash = indexOrEnd(chunk, 0x2d, pos);
      if (under < pos) under = indexOrEnd(chunk, 0x5f, pos);
      const bad = Math.min(eq, dash, under);
      if (lf < pos) lf = indexOrEnd(chunk, 0x0a, pos);
      if (this.#count === 0 && pos >= this.#slowUntil && bad > pos) {
        const next = this.#fast(chunk, pos, bad, lf, out);
        if (next > pos) {
          pos = next;
          continue;
        }
      }
      pos = this.#slow(chunk, pos, lf < end ? lf + 1 : end, bad, out);
    }
    return this.#slab.commit(this.#o);
  }

  end(): Buffer {
    if (this.#count === 0) return EMPTY;
    const out = Buffer.allocUnsafe(2);
    this.#o = 0;
    // RFC 2045 §6.8: a body should end on a full quantum; decode a final 2 or 3 characters as far as they go.
    this.#flushPartial(out, false);
    return out.subarray(0, this.#o);
  }

  /**
   * Decodes whole regular lines starting at `pos` (or, failing that, the 4-aligned start of one line) natively.
   * Returns the new position, or `pos` when nothing could be done fast.
   */
  #fast(src: Buffer, pos: number, bad: number, lf: number, out: Buffer): number {
    const limit = Math.min(bad, src.length, pos + REGION);
    let runEnd: number; // end of the content of the current line, for the single-run fallback
    if (lf < limit) {
      const eol = lf > pos && src[lf - 1] === 0x0d ? 2 : 1;
      const len = lf + 1 - pos - eol;
      runEnd = lf + 1 - eol;
      if (len > 0) {
        const stride = len + eol;
        let records = 1;
        for (let r = lf + 1; r + stride <= limit; r += stride, records++) {
          if (src[r + stride - 1] !== 0x0a || (eol === 2 && src[r + len] !== 0x0d)) break;
        }
        // Only whole quanta: the region must hold a multiple of 4 characters.
        records -= records % (len % 4 === 0 ? 1 : len % 2 === 0 ? 2 : 4);
        if (records > 0) {
          const regionEnd = pos + records * stride;
          if (this.#native(src, pos, regionEnd, (records * len * 3) / 4, out)) return regionEnd;
          this.#slowUntil = regionEnd;
          return pos;
        }
      }
    } else {
      runEnd = lf < src.length ? lf : src.length;
      if (runEnd > pos && src[runEnd - 1] === 0x0d) runEnd--;
    }
    // One run without line breaks (an unwrapped body, a line cut by the chunk end, or too few regular lines).
    const run = (Math.min(runEnd, limit) - pos) & ~3;
    if (run < MIN_RUN) return pos;
    if (this.#native(src, pos, pos + run, (run * 3) / 4, out)) return pos + run;
    this.#slowUntil = pos + run;
    return pos;
  }

  /** Decodes `src[start, end)` natively; true when the output has exactly `expected` bytes (so all were valid). */
  #native(src: Buffer, start: number, end: number, expected: number, out: Buffer): boolean {
    // Node skips characters outside its alphabet, so any stray byte (SP, CR, junk) makes the output shorter.
    const n = out.write(src.toString('latin1', start, end), this.#o, expected, 'base64');
    if (n !== expected) return false;
    this.#o += n;
    return true;
  }

  /**
   * The byte loop: decodes from `pos` until `stop` (just after the next LF, or the chunk end), or earlier once it is
   * past `bad` on a quantum boundary and past any region the fast path rejected. Returns the new position.
   */
  #slow(src: Buffer, pos: number, stop: number, bad: number, out: Buffer): number {
    let bits = this.#bits;
    let count = this.#count;
    let o = this.#o;
    let i = pos;
    while (i < stop) {
      const c = CLASS[src[i++]!]!;
      if (c < 64) {
        bits = (bits << 6) | c;
        if (++count === 4) {
          out[o++] = bits >>> 16;
          out[o++] = (bits >>> 8) & 0xff;
          out[o++] = bits & 0xff;
          bits = 0;
          count = 0;
          if (i > bad && i >= this.#slowUntil) break;
        }
      } else if (c === PAD) {
        // RFC 2045 §6.8: '=' ends the data of a quantum; more data may follow (concatenated bodies), so go on.
        if (count > 0) {
          this.#bits = bits;
          this.#count = count;
          this.#o = o;
          this.#flushPartial(out, true);
          o = this.#o;
          bits = 0;
          count = 0;
        }
        if (i >= this.#slowUntil) break;
      } else if (c === JUNK) {
        // RFC 2045 §6.8: characters outside Table 1 are ignored; we count them for the problem report.
        this.#junk++;
      }
    }
    this.#bits = bits;
    this.#count = count;
    this.#o = o;
    return i;
  }

  /** Writes the bytes of a quantum of 2 or 3 characters; a single character carries no whole byte. */
  #flushPartial(out: Buffer, padded: boolean): void {
    const bits = this.#bits;
    if (this.#count === 3) {
      out[this.#o++] = bits >>> 10;
      out[this.#o++] = (bits >>> 2) & 0xff;
    } else if (this.#count === 2) {
      out[this.#o++] = bits >>> 4;
    } else if (padded) {
      this.#padOne = true;
    } else {
      this.#endOne = true;
    }
    this.#bits = 0;
    this.#count = 0;
  }
}

function indexOrEnd(buf: Buffer, byte: number, from: number): number {
  const i = buf.indexOf(byte, from);
  return i < 0 ? buf.length : i;
}

/**
 * Creates a streaming base64 decoder (RFC 2045 §6.8) that tolerates whitespace, junk and concatenated bodies.
 *
 * @example
 * ```ts
 * const dec = createBase64Decoder();
 * const parts = [dec.write(Buffer.from('SGVsbG8s\r\nIHdv')), dec.write(Buffer.from('cmxkIQ==\r\n')), dec.end()];
 * Buffer.concat(parts).toString(); // 'Hello, world!'
 * ```
 */
export function createBase64Decoder(): BodyDecoder {
  return new Base64Decoder();
}

/**
 * Decodes a whole base64 text at once (encoded words, small parts), with the same rules as {@link createBase64Decoder}.
 * A string is read as UTF-8; a non-ASCII character counts as one invalid character per UTF-8 byte.
 *
 * @example
 * ```ts
 * decodeBase64('w6l0w6k=').bytes.toString();  // 'été'
 * decodeBase64('YW*Jj').problems;              // ['Base64 body contains 1 invalid character']
 * ```
 */
export function decodeBase64(input: Buffer | string): { bytes: Buffer; problems: string[] } {
  const dec = new Base64Decoder();
  const src = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const head = dec.write(src);
  const tail = dec.end();
  return { bytes: tail.length === 0 ? head : Buffer.concat([head, tail]), problems: [...dec.problems] };
}

/** Input bytes per native encode call: whole lines whose base64 stays within the fast 64 KiB string size. */
function blockBytes(lineLength: number): number {
  return Math.floor(REGION / lineLength) * (lineLength / 4) * 3;
}

function checkLineLength(lineLength: number): void {
  if (!Number.isInteger(lineLength) || lineLength < 4 || lineLength > 76 || lineLength % 4 !== 0) {
    throw new RangeError(`Cannot encode base64: line length ${lineLength} is not a multiple of 4 from 4 to 76`);
  }
}

/**
 * Encodes `src[start, end)` as CRLF-terminated lines of `lineLength` characters into `out` at `o` (the last line may
 * be shorter). Returns the new output position. `out` needs `ceil(chars / lineLength) * (lineLength + 2)` bytes.
 */
function encodeLinesInto(src: Buffer, start: number, end: number, lineLength: number, out: Buffer, o: number): number {
  const block = blockBytes(lineLength);
  const stride = lineLength + 2;
  for (let i = start; i < end; i += block) {
    const n = out.write(src.toString('base64', i, Math.min(i + block, end)), o, 'latin1');
    // Spread the lines apart from the last one backwards, so that no line overwrites one not yet moved.
    const full = Math.floor(n / lineLength);
    const rest = n - full * lineLength;
    let from = o + full * lineLength;
    let to = o + full * stride;
    if (rest > 0) {
      out.copyWithin(to, from, from + rest);
      out[to + rest] = 0x0d;
      out[to + rest + 1] = 0x0a;
    }
    for (let k = full; k > 0; k--) {
      from -= lineLength;
      to -= stride;
      out.copyWithin(to, from, from + lineLength);
      out[to + lineLength] = 0x0d;
      out[to + lineLength + 1] = 0x0a;
    }
    o += full * stride + (rest > 0 ? rest + 2 : 0);
  }
  return o;
}

function encodedSize(bytes: number, lineLength: number): number {
  const chars = Math.ceil(bytes / 3) * 4;
  return chars + Math.ceil(chars / lineLength) * 2;
}

class Base64Encoder implements BodyEncoder {
  readonly #lineLength: number;
  readonly #group: number; // input bytes per output line
  readonly #carry: Buffer;
  #carried = 0;
  readonly #slab = new Slab();

  constructor(lineLength: number) {
    this.#lineLength = lineLength;
    this.#group = (lineLength / 4) * 3;
    this.#carry = Buffer.allocUnsafe(this.#group);
  }

  write(chunk: Buffer): Buffer {
    const group = this.#group;
    let pos = 0;
    if (this.#carried > 0) {
      pos = Math.min(group - this.#carried, chunk.length);
      chunk.copy(this.#carry, this.#carried, 0, pos);
      this.#carried += pos;
      if (this.#carried < group) return EMPTY;
    }
    const lines = Math.floor((chunk.length - pos) / group);
    const out = this.#slab.reserve((lines + (this.#carried > 0 ? 1 : 0)) * (this.#lineLength + 2));
    let o = this.#slab.start;
    if (this.#carried > 0) {
      o = encodeLinesInto(this.#carry, 0, group, this.#lineLength, out, o);
      this.#carried = 0;
    }
    const whole = pos + lines * group;
    o = encodeLinesInto(chunk, pos, whole, this.#lineLength, out, o);
    this.#carried = chunk.copy(this.#carry, 0, whole);
    return this.#slab.commit(o);
  }

  end(): Buffer {
    if (this.#carried === 0) return EMPTY;
    const out = Buffer.allocUnsafe(encodedSize(this.#carried, this.#lineLength));
    const o = encodeLinesInto(this.#carry, 0, this.#carried, this.#lineLength, out, 0);
    this.#carried = 0;
    return out.subarray(0, o);
  }
}

/**
 * Creates a streaming base64 encoder: CRLF-terminated lines of `lineLength` (default 76) characters, RFC 2045 §6.8.
 * The output for any chunking equals {@link encodeBase64Lines} of the whole input.
 * Throws a RangeError when `lineLength` is not a multiple of 4 from 4 to 76.
 *
 * @example
 * ```ts
 * const enc = createBase64Encoder({ lineLength: 8 });
 * Buffer.concat([enc.write(Buffer.from('abcdefgh')), enc.end()]).toString(); // 'YWJjZGVm\r\nZ2g=\r\n'
 * ```
 */
export function createBase64Encoder(opts?: { lineLength?: number }): BodyEncoder {
  const lineLength = opts?.lineLength ?? 76;
  checkLineLength(lineLength);
  return new Base64Encoder(lineLength);
}

/**
 * Encodes bytes as base64 in CRLF-terminated lines of `lineLength` (default 76) characters, RFC 2045 §6.8.
 * Every line, the last one too, ends with CRLF; empty input gives empty output.
 * Throws a RangeError when `lineLength` is not a multiple of 4 from 4 to 76.
 *
 * @example
 * ```ts
 * encodeBase64Lines(Buffer.from('hello')).toString(); // 'aGVsbG8=\r\n'
 * ```
 */
export function encodeBase64Lines(bytes: Buffer, lineLength = 76): Buffer {
  checkLineLength(lineLength);
  if (bytes.length === 0) return EMPTY;
  const out = Buffer.allocUnsafe(encodedSize(bytes.length, lineLength));
  return out.subarray(0, encodeLinesInto(bytes, 0, bytes.length, lineLength, out, 0));
}
