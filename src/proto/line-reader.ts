/**
 * The bounded reader under every line protocol (SMTP, POP3): command lines, dot-stuffed bodies (SMTP DATA) and
 * counted chunks (SMTP BDAT) from one byte stream, which a TLS upgrade can replace.
 *
 * Guarantees:
 * - Memory is bounded: a line is buffered up to `maxLineBytes`; a longer line is read to its end and discarded,
 *   then `LineTooLongError` is thrown, so the next line is read in step (the connection stays usable). Bodies
 *   are handed on chunk by chunk as they arrive; the source is read in paused mode, so an unread body applies
 *   backpressure to the socket.
 * - Time is bounded: a line must arrive within `idleMs` (RFC 5321 §4.5.3.2.7: 5 minutes for a command); during a
 *   body, each read may take at most the remaining budget, which starts at `idleMs` and grows by one second per
 *   `minDataRate` bytes received, never above `idleMs` (Postfix's smtpd_min_data_rate). Past either,
 *   `ReadTimeoutError`.
 * - `upgrade()` discards every byte received before it, so plaintext sent after STARTTLS/STLS can never be read
 *   as if it came over TLS (RFC 3207 §4.2, CVE-2011-0411 "STARTTLS command injection").
 * - `abort(err)` makes the pending read and every later read throw `err` (shutdown, session time limit).
 * Line ends: a line ends at LF; a CR just before it is removed. Lines are bytes; decoding is the caller's.
 */
import type { Readable } from 'node:stream';
import { DotDecoder } from './dot-body.js';

const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;

/** A line exceeded the reader's limit; the whole line has been read and discarded. */
export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
  constructor(readonly maxBytes: number) {
    super(`Line longer than ${maxBytes} bytes`);
  }
}

/** Nothing (or too little, during a body) arrived in time. */
export class ReadTimeoutError extends Error {
  override name = 'ReadTimeoutError';
  constructor(readonly kind: 'idle' | 'rate') {
    super(kind === 'idle' ? 'Read timed out' : 'Data arrived below the minimum rate');
  }
}

/** The peer closed the connection in the middle of a body or an exchange. */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
  constructor() {
    super('Connection closed by the peer');
  }
}

/** The reader's limits. */
export interface LineReaderOptions {
  /** Longest line accepted, in octets including CRLF. */
  readonly maxLineBytes: number;
  /** Milliseconds a line (or a body read) may take. */
  readonly idleMs: number;
  /** Bytes per second a body must keep up on average (default 0: no rate check). */
  readonly minDataRate?: number;
}

/** A body read in chunks: DATA's dot-stuffed body or a BDAT chunk. */
export interface BodyReader extends AsyncIterable<Buffer> {
  /** The next chunk, or null after the end. Throws ConnectionLostError if the peer goes away first. */
  read(): Promise<Buffer | null>;
  /** Reads and discards the rest of the body, up to its end. */
  finish(): Promise<void>;
  /** Octets handed out so far. */
  readonly bytes: number;
  /** A bare CR or LF was seen (dot bodies only; always false for counted chunks). */
  readonly bareNewline: boolean;
}

/** Reads lines and bodies from a byte stream. */
export class LineReader {
  private src: Readable;
  private buf: Buffer = EMPTY;
  private scanFrom = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly onReadable = (): void => this.wake?.();
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake?.();
  };

  constructor(
    src: Readable,
    private readonly opts: LineReaderOptions,
  ) {
    this.src = src;
    this.attach(src);
  }

  private attach(src: Readable): void {
    this.src = src;
    this.ended = false;
    src.on('readable', this.onReadable);
    src.on('end', this.onEnd);
    src.on('close', this.onEnd);
    src.on('error', this.onEnd);
  }

  private detach(): void {
    this.src.off('readable', this.onReadable);
    this.src.off('end', this.onEnd);
    this.src.off('close', this.onEnd);
    this.src.off('error', this.onEnd);
  }

  /**
   * Switches to a new source (the TLS socket wrapping the old one). Every byte received so far, in this reader
   * and in the old stream's buffer, is discarded. Call it synchronously right after writing the reply that
   * starts the handshake, before the event loop can read the client's first TLS record into the old stream.
   *
   * @example
   * ```ts
   * conn.write('220 2.0.0 Ready to start TLS\r\n');
   * reader.upgrade(new TLSSocket(socket, { isServer: true, secureContext }));
   * ```
   */
  upgrade(next: Readable): void {
    this.detach();
    while (this.src.read() !== null); // plaintext pipelined after STARTTLS (RFC 3207 §4.2): thrown away
    this.buf = EMPTY;
    this.scanFrom = 0;
    this.attach(next);
  }

  /** Makes the pending read and every later read throw `err`. */
  abort(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  /** Waits for the source to become readable, for at most `ms`. */
  private wait(ms: number, kind: 'idle' | 'rate'): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.wake = null;
          reject(new ReadTimeoutError(kind));
        },
        Math.max(0, ms),
      );
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Reads what the source has into `buf`, waiting up to `ms`. Returns the number of bytes added (0: end of stream). */
  private async fill(ms: number, kind: 'idle' | 'rate' = 'idle'): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      const chunk = this.src.read() as Buffer | null;
      if (chunk !== null && chunk.length > 0) {
        this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
        return chunk.length;
      }
      if (this.ended || this.src.readableEnded || this.src.destroyed) return 0;
      await this.wait(ms, kind);
    }
  }

  private consume(n: number): void {
    this.buf = n >= this.buf.length ? EMPTY : this.buf.subarray(n);
    this.scanFrom = 0;
  }

  /**
   * Reads one line without its line end. Returns null at the end of the stream (a partial last line is
   * dropped). Throws LineTooLongError after discarding a line longer than `maxBytes` (including CRLF),
   * ReadTimeoutError when no complete line arrives within `idleMs`.
   *
   * @example
   * ```ts
   * const reader = new LineReader(socket, { maxLineBytes: 4096, idleMs: 300_000 });
   * const line = await reader.readLine(); // Buffer 'EHLO client.example' or null
   * ```
   */
  async readLine(maxBytes = this.opts.maxLineBytes): Promise<Buffer | null> {
    const deadline = performance.now() + this.opts.idleMs;
    let discarding = false;
    for (;;) {
      const lf = this.buf.indexOf(LF, this.scanFrom);
      if (lf >= 0) {
        const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf;
        const line = this.buf.subarray(0, end);
        this.consume(lf + 1);
        if (discarding || lf + 1 > maxBytes) throw new LineTooLongError(maxBytes);
        return line;
      }
      if (this.buf.length > maxBytes) {
        discarding = true; // keep reading to the end of the line, but keep none of it
        this.buf = EMPTY;
      }
      this.scanFrom = this.buf.length;
      if ((await this.fill(deadline - performance.now())) === 0) {
        this.consume(this.buf.length);
        return null;
      }
    }
  }

  /**
   * The next line when it is already received (as `readLine` would return it, without waiting a turn of the event
   * loop), or undefined when it is not (then call `readLine`). Throws LineTooLongError for a received line longer
   * than `maxBytes`.
   *
   * @example
   * ```ts
   * const line = reader.takeLine() ?? (await reader.readLine());
   * ```
   */
  takeLine(maxBytes = this.opts.maxLineBytes): Buffer | undefined {
    const lf = this.bufferedLf();
    if (lf < 0) return undefined;
    const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const line = this.buf.subarray(0, end);
    this.consume(lf + 1);
    if (lf + 1 > maxBytes) throw new LineTooLongError(maxBytes);
    return line;
  }

  /**
   * True when a complete line is already received: the client is pipelining (RFC 2920), so replies can wait.
   * Reads at most one more chunk from the source, so the buffer stays bounded.
   */
  hasBufferedLine(): boolean {
    return this.bufferedLf() >= 0;
  }

  /** Where the first received line ends (its LF), reading at most one more chunk from the source; -1 if none. */
  private bufferedLf(): number {
    const lf = this.buf.indexOf(LF, this.scanFrom);
    if (lf >= 0 || this.failure || this.buf.length > this.opts.maxLineBytes) return lf;
    const chunk = this.src.read() as Buffer | null;
    if (chunk === null || chunk.length === 0) return -1;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return this.buf.indexOf(LF, this.scanFrom);
  }

  /** True when any byte is received and unread (a client that did not wait for a reply it had to wait for). */
  hasBufferedData(): boolean {
    return this.buf.length > 0 || this.src.readableLength > 0;
  }

  /** Reads once for a body, under the minimum-rate budget of `budget`. */
  private async fillBody(budget: { ms: number }): Promise<number> {
    const t0 = performance.now();
    const n = await this.fill(budget.ms, budget.ms < this.opts.idleMs ? 'rate' : 'idle');
    const rate = this.opts.minDataRate ?? 0;
    if (rate > 0) {
      budget.ms = Math.min(this.opts.idleMs, budget.ms - (performance.now() - t0) + (n * 1000) / rate);
      if (budget.ms <= 0) throw new ReadTimeoutError('rate');
    }
    return n;
  }

  /**
   * The dot-stuffed body that follows DATA's 354 reply, up to <CRLF>.<CRLF> (see DotDecoder): dot-unstuffed,
   * line ends unchanged unless `normalize` turns bare CR and LF into CRLF.
   *
   * @example
   * ```ts
   * const body = reader.dotBody({ normalize: false });
   * for await (const chunk of body) sink.write(chunk);
   * if (body.bareNewline) refuse();
   * ```
   */
  dotBody(opts: { normalize: boolean }): BodyReader {
    const decoder = new DotDecoder(opts.normalize);
    const budget = { ms: this.opts.idleMs };
    return this.bodyReader(async () => {
      for (;;) {
        if (decoder.done) return null;
        if (this.buf.length > 0) {
          const out: Buffer[] = [];
          this.consume(decoder.decode(this.buf, out));
          const chunk = out.length === 1 ? out[0]! : Buffer.concat(out);
          if (chunk.length > 0) return chunk;
          continue;
        }
        if ((await this.fillBody(budget)) === 0) throw new ConnectionLostError();
      }
    }, () => decoder.bareNewline);
  }

  /**
   * The next `n` octets, as they are (a BDAT chunk, RFC 3030).
   *
   * @example
   * ```ts
   * const chunk = reader.take(1024);
   * await chunk.finish(); // discard it
   * ```
   */
  take(n: number): BodyReader {
    let left = n;
    const budget = { ms: this.opts.idleMs };
    return this.bodyReader(async () => {
      while (left > 0) {
        if (this.buf.length > 0) {
          const k = Math.min(left, this.buf.length);
          const chunk = this.buf.subarray(0, k);
          this.consume(k);
          left -= k;
          return chunk;
        }
        if ((await this.fillBody(budget)) === 0) throw new ConnectionLostError();
      }
      return null;
    }, () => false);
  }

  /** Wraps a chunk source as a BodyReader whose reads run one at a time. */
  private bodyReader(next: () => Promise<Buffer | null>, bare: () => boolean): BodyReader {
    let chain: Promise<unknown> = Promise.resolve();
    let bytes = 0;
    let finished = false;
    const read = (): Promise<Buffer | null> => {
      const p = chain.then(async () => {
        if (finished) return null;
        const chunk = await next();
        if (chunk === null) finished = true;
        else bytes += chunk.length;
        return chunk;
      });
      chain = p.catch(() => undefined);
      return p;
    };
    return {
      read,
      async finish() {
        while ((await read()) !== null);
      },
      get bytes() {
        return bytes;
      },
      get bareNewline() {
        return bare();
      },
      async *[Symbol.asyncIterator]() {
        for (let c; (c = await read()) !== null; ) yield c;
      },
    };
  }
}

