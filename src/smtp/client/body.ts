/**
 * Sending a message body: DATA (RFC 5321 §4.1.1.4) dot-stuffed (§4.5.2), or BDAT chunks (RFC 3030 §2), from a
 * stream that is read only as fast as the socket drains.
 *
 * Guarantees:
 * - Streaming: at most one source chunk and one BDAT chunk (64 KiB, slices of the source chunks) are held by
 *   the client; every write waits for the socket to drain (bounded by the `dataBlock` timeout).
 * - Line ends: a bare CR or LF becomes CRLF (RFC 5321 §2.3.8) and a body that does not end with CRLF gets one,
 *   except for BODY=BINARYMIME, whose bytes go as they are (RFC 3030 §3).
 * - DATA ends only with <CRLF>.<CRLF> after stuffing, so no body can end the data early (SMTP smuggling).
 * - A body source that fails closes the connection (a partial message must never be delivered) and throws a
 *   temporary `body` error with the source's error as `cause`.
 * - With PIPELINING, up to BDAT_WINDOW chunks are sent before their replies are read (RFC 3030 §4.2); after a
 *   refused chunk no more are sent, the outstanding replies are read, and the refusal is the final reply.
 */
import type { Readable } from 'node:stream';
import { DotStuffer, LineEndScanner } from '../../proto/index.js';
import { downgradeTo7bit } from '../../mime/index.js';
import { replyClass } from './ehlo.js';
import { SmtpClientError, type BodySource, type ClientTimeouts, type ClientReply } from './types.js';
import type { Wire } from './wire.js';

/** Octets per BDAT chunk (every chunk but the LAST one has exactly this size). */
export const BDAT_CHUNK_BYTES = 64 * 1024;
/** BDAT chunks sent ahead of their replies when the peer offers PIPELINING. */
export const BDAT_WINDOW = 8;

const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

function bodyError(err: unknown): SmtpClientError {
  if (err instanceof SmtpClientError) return err;
  return new SmtpClientError('body', 'data', 'Cannot read the message body', true, undefined, { cause: err });
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('Body chunks must be Buffer, Uint8Array or string');
}

/** A body source opened for one attempt, its first chunk already read (so a source that cannot start fails before MAIL). */
export class BodyChunks {
  private primed = true;

  private constructor(
    private readonly src: Readable,
    private readonly it: AsyncIterator<unknown>,
    private first: Buffer | null,
  ) {}

  /**
   * Calls `source` and reads its first chunk (through downgradeTo7bit when `downgrade`); a failure is a
   * `body` error.
   *
   * @example
   * ```ts
   * const body = await BodyChunks.open(() => Readable.from([Buffer.from('Subject: hi\r\n\r\nHi\r\n')]), false);
   * for (let c; (c = await body.next()) !== null; ) sink.write(c);
   * body.close();
   * ```
   */
  static async open(source: BodySource, downgrade: boolean): Promise<BodyChunks> {
    let src: Readable;
    try {
      src = await source();
    } catch (err) {
      throw bodyError(err);
    }
    const iterable: AsyncIterable<unknown> = downgrade ? downgradeTo7bit(src as AsyncIterable<Uint8Array>) : src;
    const it = iterable[Symbol.asyncIterator]();
    try {
      return new BodyChunks(src, it, await pull(it));
    } catch (err) {
      src.destroy();
      throw err;
    }
  }

  /** The next non-empty chunk, or null at the end; a source failure is a `body` error. */
  next(): Promise<Buffer | null> {
    if (this.primed) {
      this.primed = false;
      return Promise.resolve(this.first);
    }
    return pull(this.it);
  }

  /** Stops reading and releases the source (idempotent). */
  close(): void {
    this.it.return?.().catch(() => undefined);
    this.src.destroy();
  }
}

async function pull(it: AsyncIterator<unknown>): Promise<Buffer | null> {
  for (;;) {
    let r: IteratorResult<unknown>;
    try {
      r = await it.next();
      if (r.done) return null;
      const c = toBuffer(r.value);
      if (c.length > 0) return c;
    } catch (err) {
      throw bodyError(err);
    }
  }
}

/** Reads the next body chunk; a source failure closes the connection first. */
async function nextChunk(wire: Wire, body: BodyChunks): Promise<Buffer | null> {
  try {
    return await body.next();
  } catch (err) {
    throw wire.fail(err);
  }
}

/**
 * Sends the body after DATA's 354 and returns the reply to the final dot.
 *
 * @example
 * ```ts
 * const final = await sendData(wire, body, timeouts); // final.code === 250
 * ```
 */
export async function sendData(wire: Wire, body: BodyChunks, t: ClientTimeouts): Promise<ClientReply> {
  const lines = new LineEndScanner(true);
  const stuffer = new DotStuffer();
  for (let c; (c = await nextChunk(wire, body)) !== null; ) {
    await wire.write(stuffer.push(lines.push(c)), 'data', t.dataBlock);
  }
  const tail = lines.end(); // a final bare CR becomes CRLF
  if (tail.length > 0) await wire.write(stuffer.push(tail), 'data', t.dataBlock);
  await wire.write(stuffer.end(), 'data', t.dataBlock); // [CRLF] "." CRLF
  return wire.read('data', t.dataEnd);
}

/**
 * Sends the body as BDAT chunks, the last with LAST, and returns the final reply: the reply to BDAT LAST, or
 * the first refused chunk's reply.
 *
 * @example
 * ```ts
 * const final = await sendBdat(wire, body, { binary: false, pipelining: true, timeouts });
 * ```
 */
export async function sendBdat(
  wire: Wire,
  body: BodyChunks,
  o: { readonly binary: boolean; readonly pipelining: boolean; readonly timeouts: ClientTimeouts },
): Promise<ClientReply> {
  const t = o.timeouts;
  const lines = o.binary ? null : new LineEndScanner(true);
  const inflight: Promise<ClientReply>[] = [];
  let refusal: ClientReply | null = null;
  let lastReply: ClientReply | null = null;
  let pending: Buffer[] = [];
  let size = 0;
  let lastByte = -1;

  const settle = async (keep: number): Promise<void> => {
    while (inflight.length > keep) {
      const r = await inflight.shift()!;
      lastReply = r;
      if (replyClass(r.code) !== 2) refusal ??= r;
    }
  };
  const add = (b: Buffer): void => {
    if (b.length === 0) return;
    pending.push(b);
    size += b.length;
    lastByte = b[b.length - 1]!;
  };
  const flush = async (last: boolean): Promise<void> => {
    await wire.write(`BDAT ${size}${last ? ' LAST' : ''}\r\n`, 'data', t.dataBlock);
    for (const b of pending) await wire.write(b, 'data', t.dataBlock);
    pending = [];
    size = 0;
    inflight.push(wire.read('data', last ? t.dataEnd : t.dataBlock));
    await settle(o.pipelining ? BDAT_WINDOW : 0);
  };

  send: for (let c; (c = await nextChunk(wire, body)) !== null; ) {
    let rest = lines ? lines.push(c) : c;
    while (rest.length > 0) {
      const room = BDAT_CHUNK_BYTES - size;
      add(rest.subarray(0, room)); // slices, not copies
      rest = rest.subarray(room);
      if (size === BDAT_CHUNK_BYTES) {
        await flush(false);
        if (refusal) break send;
      }
    }
  }
  if (!refusal) {
    if (lines) {
      add(lines.end());
      if (lastByte !== -1 && lastByte !== LF) add(CRLF); // the body ends with CRLF
    }
    await flush(true);
  }
  await settle(0);
  return refusal ?? lastReply!;
}
