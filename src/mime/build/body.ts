/**
 * Body sources for the composer: content in memory, in a stream or in a file, turned into transfer-encoded chunks
 * (RFC 2045 §2.7, §2.8, §6; RFC 2046 §4.1.1 and §5.2.1).
 *
 * Guarantees: a source is read only as fast as the consumer pulls (nothing here buffers more than one chunk, plus
 * the sample of at most 64 KiB that `peekSource` holds); a file is opened before anything is written, so a missing
 * file fails the message before its first byte; `guardLines` passes an identity-encoded body (message/rfc822)
 * through byte for byte when it already has CRLF line ends, and fails the stream when it breaks a rule its
 * Content-Transfer-Encoding promises.
 * Limits: the sample decides the encoding of a streamed text attachment; see `textFileEncoding`.
 */
import { isAscii } from 'node:buffer';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { utf8Valid } from '../charset/index.js';
import { chooseTransferEncoding, type BodyEncoder } from '../encodings/index.js';

/** Where the content of a body comes from. */
export type ContentSource = string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array> | { path: string };

/** A Content-Transfer-Encoding the composer writes. */
export type TransferEncoding = '7bit' | '8bit' | 'quoted-printable' | 'base64';

/** How many bytes `peekSource` reads to decide an encoding (the sample size `chooseTransferEncoding` expects). */
export const SAMPLE_BYTES = 64 * 1024;
/** RFC 5322 §2.1.1 / RFC 2045 §2.7: at most 998 octets per line, CRLF excluded. */
export const MAX_LINE = 998;

const CR = 0x0d;
const LF = 0x0a;

/**
 * Returns the bytes of an in-memory source (a string as UTF-8), or null for a stream or a file.
 *
 * @example
 * ```ts
 * memoryBytes('hé')?.length === 3;
 * ```
 */
export function memoryBytes(src: ContentSource): Buffer | null {
  if (typeof src === 'string') return Buffer.from(src, 'utf8');
  if (Buffer.isBuffer(src)) return src;
  if (src instanceof Uint8Array) return Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  return null;
}

/** True when `src` is the `{ path }` form. */
function isPath(src: ContentSource): src is { path: string } {
  return typeof src === 'object' && !(src instanceof Uint8Array) && typeof (src as { path?: unknown }).path === 'string' && !(Symbol.asyncIterator in src);
}

/** Checks that a value is a usable ContentSource; throws with `what` naming it. */
export function assertSource(what: string, src: unknown): asserts src is ContentSource {
  if (typeof src === 'string' || src instanceof Uint8Array) return;
  if (typeof src === 'object' && src !== null) {
    if (Symbol.asyncIterator in src) return;
    const path = (src as { path?: unknown }).path;
    if (typeof path === 'string') {
      if (path === '' || path.includes('\0')) throw new Error(`Cannot compose message: ${what} has an empty path or a path with NUL`);
      return;
    }
  }
  throw new Error(`Cannot compose message: ${what} is not a string, Buffer, Uint8Array, stream, async iterable or { path }`);
}

/** An opened source: its chunks as Buffers, and `close()` to release it early (idempotent). */
export interface OpenedSource {
  readonly chunks: AsyncIterator<Buffer>;
  close(): Promise<void>;
}

/**
 * Opens a source for reading: a file is opened now (so a missing file fails here), a stream is iterated as the
 * consumer pulls. Memory sources give one chunk.
 *
 * @example
 * ```ts
 * const src = await openSource({ path: 'photo.jpg' });
 * for (let r = await src.chunks.next(); !r.done; r = await src.chunks.next()) use(r.value);
 * ```
 */
export async function openSource(src: ContentSource): Promise<OpenedSource> {
  const mem = memoryBytes(src);
  if (mem !== null) {
    const it = [mem][Symbol.iterator]();
    return { chunks: { next: async () => it.next() }, close: async () => {} };
  }
  let iterable: AsyncIterable<Uint8Array | string>;
  if (isPath(src)) {
    const fh = await open(src.path, 'r');
    iterable = fh.createReadStream({ highWaterMark: 64 * 1024 });
  } else {
    iterable = src as AsyncIterable<Uint8Array | string>;
  }
  const it = iterable[Symbol.asyncIterator]();
  let done = false;
  return {
    chunks: {
      async next(): Promise<IteratorResult<Buffer>> {
        if (done) return { done: true, value: undefined };
        const r = await it.next();
        if (r.done === true) {
          done = true;
          return { done: true, value: undefined };
        }
        const v = r.value;
        return { done: false, value: typeof v === 'string' ? Buffer.from(v, 'utf8') : (memoryBytes(v) ?? Buffer.alloc(0)) };
      },
    },
    async close() {
      if (done) return;
      done = true;
      await it.return?.();
    },
  };
}

/** The first bytes of an opened source, and whether they are all of it. */
export interface Peeked {
  /** At least `n` bytes, or the whole content when `complete`. */
  readonly head: Buffer;
  readonly complete: boolean;
}

/**
 * Reads the first `n` bytes (or all, if shorter) of an opened source, for choosing an encoding. The returned
 * `rest` iterator yields the whole content again, `head` first.
 *
 * @example
 * ```ts
 * const { head, complete, rest } = await peekSource(await openSource(stream), 65536);
 * ```
 */
export async function peekSource(src: OpenedSource, n: number): Promise<Peeked & { rest: AsyncIterator<Buffer> }> {
  const got: Buffer[] = [];
  let size = 0;
  let complete = false;
  while (size < n) {
    const r = await src.chunks.next();
    if (r.done === true) {
      complete = true;
      break;
    }
    got.push(r.value);
    size += r.value.length;
  }
  const head = got.length === 1 ? got[0]! : Buffer.concat(got);
  let replay: Buffer | null = head.length > 0 ? head : null;
  const rest: AsyncIterator<Buffer> = {
    async next() {
      if (replay !== null) {
        const value = replay;
        replay = null;
        return { done: false, value };
      }
      return src.chunks.next();
    },
  };
  return { head, complete, rest };
}

/**
 * Converts every line break (CRLF, bare LF, bare CR) to CRLF: the canonical form of text (RFC 2046 §4.1.1).
 *
 * @example
 * ```ts
 * crlf('a\nb\rc\r\n') === 'a\r\nb\r\nc\r\n';
 * ```
 */
export function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

/** True when the bytes hold a CR not followed by LF or an LF not preceded by CR. */
export function hasBareLineBreak(bytes: Buffer): boolean {
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) if (i === 0 || bytes[i - 1] !== CR) return true;
  for (let i = bytes.indexOf(CR); i !== -1; i = bytes.indexOf(CR, i + 1)) if (bytes[i + 1] !== LF) return true;
  return false;
}

/** True when a line (CRLF excluded) is longer than 998 octets. */
export function hasLongLine(bytes: Buffer): boolean {
  let start = 0;
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) {
    if (i - start - (i > start && bytes[i - 1] === CR ? 1 : 0) > MAX_LINE) return true;
    start = i + 1;
  }
  return bytes.length - start > MAX_LINE;
}

/**
 * The encoding of a text body held in memory with CRLF line breaks (RFC 2045 §6): `chooseTransferEncoding`'s
 * verdict on the whole body. Identity encodings are only returned for bodies that meet RFC 2045 §2.7/§2.8.
 *
 * @example
 * ```ts
 * textEncoding(Buffer.from('Grüße\r\n'), '7bit') === 'quoted-printable';
 * ```
 */
export function textEncoding(bytes: Buffer, mode: '7bit' | '8bit'): TransferEncoding {
  return chooseTransferEncoding(bytes, { text: true, mode });
}

/**
 * Guesses the charset of text bytes that came without one: 'utf-8' when they have 8-bit bytes and are valid
 * UTF-8 (RFC 3629), else null (us-ascii is the default, RFC 2045 §5.2; other 8-bit text stays unlabelled).
 * For a sample (`complete` false) a sequence cut by the end of the sample does not count against it.
 *
 * @example
 * ```ts
 * guessCharset(Buffer.from('Grüße'), true) === 'utf-8';
 * guessCharset(Buffer.from([0x47, 0xfc]), true) === null; // latin-1
 * ```
 */
export function guessCharset(sample: Buffer, complete: boolean): 'utf-8' | null {
  return !isAscii(sample) && utf8Valid(sample, complete) ? 'utf-8' : null;
}

/**
 * The encoding of a text/* attachment, chosen so that the recipient gets the bytes back exactly.
 * - RFC 2045 §6.7 (4): quoted-printable turns line breaks into CRLF, so content with a bare CR or LF goes base64.
 * - When only a sample is known (`complete` false), 7bit and 8bit are not safe for the unseen rest (RFC 2045 §2.7
 *   rules could break there), so they become quoted-printable.
 * QUIRK: a streamed text file longer than the sample whose sample has only CRLF breaks is sent quoted-printable in
 * text mode, so a bare LF or CR later in it arrives as CRLF (the canonical form of text, RFC 2046 §4.1.1).
 *
 * @example
 * ```ts
 * textFileEncoding(Buffer.from('a\nb\n'), true, '7bit') === 'base64';
 * ```
 */
export function textFileEncoding(sample: Buffer, complete: boolean, mode: '7bit' | '8bit'): TransferEncoding {
  const chosen = chooseTransferEncoding(sample, { text: true, mode });
  if (chosen === 'base64') return chosen;
  if (hasBareLineBreak(sample)) return 'base64';
  if (!complete && (chosen === '7bit' || chosen === '8bit')) return 'quoted-printable';
  return chosen;
}

/**
 * Runs chunks through a transfer encoder (none for identity encodings), yielding the encoded chunks.
 *
 * @example
 * ```ts
 * for await (const c of encodeChunks(rest, createBase64Encoder())) await part.write(c);
 * ```
 */
export async function* encodeChunks(src: AsyncIterator<Buffer>, enc: BodyEncoder | null): AsyncGenerator<Buffer> {
  for (let r = await src.next(); r.done !== true; r = await src.next()) {
    const out = enc === null ? r.value : enc.write(r.value);
    if (out.length > 0) yield out;
  }
  if (enc !== null) {
    const tail = enc.end();
    if (tail.length > 0) yield tail;
  }
}

/**
 * Checks and canonicalizes an identity-encoded body chunk by chunk: bare LF and bare CR become CRLF (RFC 5322
 * §2.1: a message's lines end with CRLF); a line over 998 octets (RFC 5322 §2.1.1), a NUL (RFC 2045 §2.7, §2.8)
 * or, when `sevenBit`, an 8-bit byte throws. A body already in CRLF form passes byte for byte.
 *
 * @example
 * ```ts
 * const g = new LineGuard({ sevenBit: true, what: 'forwarded message' });
 * Buffer.concat([g.push(Buffer.from('a\nb')), g.end()]).toString() === 'a\r\nb';
 * ```
 */
export class LineGuard {
  #line = 0; // octets in the current line so far
  #pendingCr = false; // the previous chunk ended with CR
  readonly #sevenBit: boolean;
  readonly #what: string;

  constructor(opts: { sevenBit: boolean; what: string }) {
    this.#sevenBit = opts.sevenBit;
    this.#what = opts.what;
  }

  /** Checks one chunk and returns it canonicalized (the same Buffer when nothing changed). */
  push(c: Buffer): Buffer {
    const out: Buffer[] = [];
    let from = 0;
    if (this.#pendingCr && c.length > 0) {
      // The CR already written gets its LF: the one that starts this chunk, or an added one (a bare CR).
      if (c[0] === LF) from = 1;
      out.push(LF_BYTE);
      this.#pendingCr = false;
      this.#line = 0;
    }
    let start = from;
    let line = this.#line;
    for (let i = from; i < c.length; i++) {
      const b = c[i]!;
      if (b === LF) {
        if (i === 0 || c[i - 1] !== CR) {
          out.push(c.subarray(start, i), CR_BYTE); // a bare LF gets its CR
          start = i;
        }
        line = 0;
      } else if (b === CR) {
        if (i + 1 === c.length) this.#pendingCr = true;
        else if (c[i + 1] !== LF) {
          out.push(c.subarray(start, i + 1), LF_BYTE); // a bare CR gets its LF
          start = i + 1;
          line = 0;
        }
      } else {
        if (++line > MAX_LINE) throw new Error(`Cannot compose message: ${this.#what} has a line longer than 998 octets`);
        if (b === 0 || (b >= 0x80 && this.#sevenBit)) {
          throw new Error(
            b === 0
              ? `Cannot compose message: ${this.#what} contains NUL`
              : `Cannot compose message: ${this.#what} contains 8-bit data, which 7bit mode cannot carry without re-encoding (use mode '8bitmime')`,
          );
        }
      }
    }
    this.#line = line;
    if (out.length === 0) return c;
    out.push(c.subarray(start));
    return Buffer.concat(out);
  }

  /** Completes a final bare CR. */
  end(): Buffer {
    if (!this.#pendingCr) return Buffer.alloc(0);
    this.#pendingCr = false;
    return LF_BYTE;
  }
}

const LF_BYTE = Buffer.from('\n', 'latin1');
const CR_BYTE = Buffer.from('\r', 'latin1');

/**
 * Runs chunks through a `LineGuard` (see there), yielding canonical chunks.
 *
 * @example
 * ```ts
 * for await (const c of guardLines(chunks, { sevenBit: true, what: 'forwarded message' })) await part.write(c);
 * ```
 */
export async function* guardLines(src: AsyncIterator<Buffer>, opts: { sevenBit: boolean; what: string }): AsyncGenerator<Buffer> {
  const g = new LineGuard(opts);
  for (let r = await src.next(); r.done !== true; r = await src.next()) {
    const out = g.push(r.value);
    if (out.length > 0) yield out;
  }
  const tail = g.end();
  if (tail.length > 0) yield tail;
}
