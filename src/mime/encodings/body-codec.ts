/**
 * The push interfaces shared by the Content-Transfer-Encoding codecs (RFC 2045 §6).
 *
 * Guarantees (for every implementation in this folder): state carries across `write()` calls, so the output does not
 * depend on how the input is split into chunks; `write()` and `end()` never throw on malformed data; a returned buffer
 * is never reused or changed by the codec afterwards.
 * Limits: a codec is single-use; calling `write()` after `end()` is a programming error with undefined output.
 */

/**
 * A push decoder: feed chunks of the encoded body as they arrive and get decoded bytes out.
 *
 * @example
 * ```ts
 * const dec = createBase64Decoder();
 * const bytes = Buffer.concat([dec.write(Buffer.from('aGVsbG8g')), dec.write(Buffer.from('d29ybGQ=\r\n')), dec.end()]);
 * bytes.toString(); // 'hello world'
 * dec.problems;     // []
 * ```
 */
export interface BodyDecoder {
  /** Decodes one chunk; may return an empty buffer when the chunk only completes part of a unit. */
  write(chunk: Buffer): Buffer;
  /** Flushes the tail held back from the last chunk. */
  end(): Buffer;
  /** Problems found so far, one string per kind per body (read it after `end()` for the full list). */
  readonly problems: readonly string[];
}

/**
 * A push encoder: feed chunks of the raw body and get CRLF-terminated encoded lines out.
 *
 * @example
 * ```ts
 * const enc = createBase64Encoder();
 * const out = Buffer.concat([enc.write(Buffer.from('hello ')), enc.write(Buffer.from('world')), enc.end()]);
 * out.toString(); // 'aGVsbG8gd29ybGQ=\r\n'
 * ```
 */
export interface BodyEncoder {
  /** Encodes one chunk; may return an empty buffer while a line is still incomplete. */
  write(chunk: Buffer): Buffer;
  /** Flushes the last (possibly partial) line. */
  end(): Buffer;
}

/**
 * A shared empty result, so that chunks which produce nothing do not allocate. Internal to this folder.
 *
 * @example
 * ```ts
 * createBase64Decoder().write(Buffer.from('YW')) === EMPTY; // true: half a quantum decodes to nothing yet
 * ```
 */
export const EMPTY: Buffer = Buffer.alloc(0);

/** Largest output slab: bounds what one retained output slice can keep alive. */
const SLAB_MAX = 64 * 1024;
/** Outputs at least this large get a buffer of their own (see below). */
const DIRECT = 16 * 1024;

/**
 * Carves codec outputs out of shared slabs instead of allocating one buffer per `write()`: allocating a fresh 48 KiB
 * buffer costs about as much as decoding 64 KiB of base64 natively. The slab grows with the bytes produced so far
 * (a small part gets an exactly sized buffer; many small writes share slabs of up to 64 KiB), and a region once
 * handed out is never written again. A write whose output may reach 16 KiB gets a buffer of its own: a slab that
 * lives across many writes outlives young-generation collections and is promoted, so a large attachment decoded
 * into shared slabs leaves old-generation garbage that only a full collection frees (V8 waits for about 64 MB of
 * external memory before one), while buffers of their own die young. Internal to this folder.
 *
 * @example
 * ```ts
 * const slab = new Slab();
 * const buf = slab.reserve(3);
 * buf.write('abc', slab.start, 'latin1');
 * slab.commit(slab.start + 3).toString(); // 'abc'
 * ```
 */
export class Slab {
  #buf: Buffer = EMPTY;
  #start = 0;
  #produced = 0;
  #direct = false;

  /** Returns a buffer with at least `need` free bytes from {@link Slab.start}; write there, then call `commit`. */
  reserve(need: number): Buffer {
    if (need >= DIRECT) {
      this.#buf = Buffer.allocUnsafe(need);
      this.#start = 0;
      this.#direct = true;
      return this.#buf;
    }
    if (this.#direct || this.#buf.length - this.#start < need) {
      this.#direct = false;
      this.#buf = Buffer.allocUnsafe(Math.max(need, Math.min(SLAB_MAX, this.#produced)));
      this.#start = 0;
    }
    return this.#buf;
  }

  /** Where the space returned by the last `reserve` starts. */
  get start(): number {
    return this.#start;
  }

  /** Hands out `[start, end)` of the reserved buffer and moves past it (8-byte aligned). */
  commit(end: number): Buffer {
    const start = this.#start;
    if (end === start) return EMPTY;
    this.#produced += end - start;
    this.#start = (end + 7) & ~7;
    return this.#buf.subarray(start, end);
  }
}
