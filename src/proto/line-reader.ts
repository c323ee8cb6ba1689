/**
 * The bounded reader under every line protocol (SMTP, POP3): command lines, dot-stuffed bodies (SMTP DATA) and
 * counted chunks (SMTP BDAT) from one byte stream, which a TLS upgrade can replace.
 *
 * Guarantees:
 * - Memory is bounded: a line is buffered up to `maxLineBytes`; a longer line is read to its end and discarded,
 *   then `LineTooLongError` is thrown, so the next line is read in step (the connection stays usable). Bodies
 *   are handed on chunk by chunk as they arrive; past 64 KiB received and unread the source is paused, so an
 *   unread body or a pipelined flood applies backpressure to the socket.
 * - `park()` answers input as it arrives, inside the source's 'data' event: a command that can be answered at once
 *   costs no promise and no timer operation (one timer per reader carries every wait's time limit).
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
import { bodyReader, ConnectionLostError, LineTooLongError, ReadTimeoutError, type BodyReader } from './body-reader.js';
import { DotDecoder } from './dot-body.js';
import { WaitDeadline } from './wait-deadline.js';

export { ConnectionLostError, LineTooLongError, ReadTimeoutError, type BodyReader };

const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;

/** The reader's limits. */
export interface LineReaderOptions {
  /** Longest line accepted, in octets including CRLF. */
  readonly maxLineBytes: number;
  /** Milliseconds a line (or a body read) may take. */
  readonly idleMs: number;
  /** Bytes per second a body must keep up on average (default 0: no rate check). */
  readonly minDataRate?: number;
}

/**
 * Received octets held at most before the source is paused (backpressure to the socket): a pipelined flood or a
 * body the consumer does not read yet stops here, and the source resumes once the reader has taken it all.
 */
const HIGH_WATER_BYTES = 64 * 1024;

/** A read in progress: `readLine`/`fill` waiting for input, or `park` answering input as it arrives. */
interface Waiter {
  readonly kind: 'idle' | 'rate';
  readonly resolve: (v: unknown) => void;
  readonly reject: (err: Error) => void;
  /** park's handler: called at once on each arrival; a value other than undefined ends the wait with it. */
  readonly onInput?: () => unknown;
}

/** Reads lines and bodies from a byte stream. */
export class LineReader {
  private src: Readable;
  /** Received octets being worked on: a partial line, or a body's next octets. */
  private buf: Buffer = EMPTY;
  private scanFrom = 0;
  /** Chunks received and not yet taken into `buf` (at most about HIGH_WATER_BYTES: the source is paused past it). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The line being received is over the limit: its octets are dropped up to its LF, then LineTooLongError. */
  private discarding = false;
  /** Lines handed out so far (park restarts its time limit after each). */
  private linesTaken = 0;
  private ended = false;
  private failure: Error | null = null;
  private waiter: Waiter | null = null;
  /** Every wait's time limit, on one timer: answering a command then costs no timer operation. */
  private readonly limit = new WaitDeadline(
    () => this.waiter !== null,
    () => {
      const w = this.waiter!;
      this.waiter = null;
      w.reject(new ReadTimeoutError(w.kind));
    },
  );
  private readonly onData = (chunk: Buffer): void => {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > HIGH_WATER_BYTES) this.src.pause();
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.limit.clear();
    this.notify();
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
    src.on('data', this.onData);
    src.on('end', this.onEnd);
    src.on('close', this.onEnd);
    src.on('error', this.onEnd);
  }

  private detach(): void {
    this.src.off('data', this.onData);
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
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.attach(next);
  }

  /** Makes the pending read and every later read throw `err`. */
  abort(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  /** Hands an arrival (data, end, abort, time-out) to the waiting read, if any. */
  private notify(): void {
    const w = this.waiter;
    if (!w) return;
    if (!w.onInput || this.failure) {
      this.waiter = null;
      if (this.failure && w.onInput) w.reject(this.failure);
      else w.resolve(undefined);
      return;
    }
    const taken = this.linesTaken;
    let out: unknown;
    try {
      out = w.onInput();
    } catch (err) {
      if (this.waiter === w) this.waiter = null;
      w.reject(err as Error);
      return;
    }
    // The handler may have started another read of its own (a command that waits for the client): it keeps the slot.
    if (out === undefined && this.ended) out = null;
    if (out !== undefined) {
      if (this.waiter === w) this.waiter = null;
      w.resolve(out);
    } else if (this.linesTaken !== taken) this.limit.push(this.opts.idleMs);
  }

  /** Starts a wait of at most `ms` in `w`'s slot. */
  private startWait(w: Waiter, ms: number): void {
    this.waiter = w;
    this.limit.start(ms);
  }

  /** Waits for the source to deliver something, for at most `ms`. */
  private wait(ms: number, kind: 'idle' | 'rate'): Promise<void> {
    return new Promise((resolve, reject) => this.startWait({ kind, resolve: resolve as (v: unknown) => void, reject }, ms));
  }

  /** Moves every received chunk into `buf`; returns the number of octets moved, and resumes a paused source. */
  private takePending(): number {
    const n = this.pendingBytes;
    if (n === 0) return 0;
    const parts = this.buf.length === 0 ? this.pending : [this.buf, ...this.pending];
    this.buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.pending = [];
    this.pendingBytes = 0;
    this.resumeIfDrained();
    return n;
  }

  /** Resumes a source paused for backpressure once every chunk received is taken. */
  private resumeIfDrained(): void {
    if (this.pendingBytes === 0 && this.src.isPaused() && !this.ended) this.src.resume();
  }

  /** Reads what the source has into `buf`, waiting up to `ms`. Returns the number of bytes added (0: end of stream). */
  private async fill(ms: number, kind: 'idle' | 'rate' = 'idle'): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      const n = this.takePending();
      if (n > 0) return n;
      if (this.ended || this.src.destroyed) return 0;
      await this.wait(ms, kind);
    }
  }

  private consume(n: number): void {
    this.buf = n >= this.buf.length ? EMPTY : this.buf.subarray(n);
    this.scanFrom = 0;
  }

  /**
   * Where the first received line ends (its LF), or -1: takes received chunks one at a time until one holds an LF.
   * Past `maxBytes` without an LF, the octets are a line too long: with `drop` (reading a line) they are dropped as
   * they arrive (`discarding`), so the buffer stays bounded; without it (only looking) nothing more is taken.
   */
  private lineEnd(maxBytes: number, drop: boolean): number {
    for (;;) {
      const lf = this.buf.indexOf(LF, this.scanFrom);
      if (lf >= 0) return (this.scanFrom = lf); // a second look (hasBufferedLine, then takeLine) finds it at once
      if (this.buf.length > maxBytes) {
        if (!drop) return -1;
        this.discarding = true; // keep reading to the end of the line, but keep none of it
        this.buf = EMPTY;
      }
      this.scanFrom = this.buf.length;
      const chunk = this.pending.shift();
      if (chunk === undefined) return -1;
      this.pendingBytes -= chunk.length;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.resumeIfDrained();
    }
  }

  /**
   * The next line when it is already received, without its line end; undefined when none is complete yet (then
   * `readLine` or `park` waits for it). Throws LineTooLongError, once the whole line has been received and
   * dropped, for a line longer than `maxBytes` (including CRLF).
   *
   * @example
   * ```ts
   * const line = reader.takeLine() ?? (await reader.readLine());
   * ```
   */
  takeLine(maxBytes = this.opts.maxLineBytes): Buffer | undefined {
    const lf = this.lineEnd(maxBytes, true);
    if (lf < 0) return undefined;
    const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const line = this.buf.subarray(0, end);
    this.consume(lf + 1);
    const discarded = this.discarding;
    this.discarding = false;
    this.linesTaken++; // an overlong line counts too: it is a line received, so park's time starts again
    if (discarded || lf + 1 > maxBytes) throw new LineTooLongError(maxBytes);
    return line;
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
    for (;;) {
      const line = this.takeLine(maxBytes);
      if (line !== undefined) return line;
      if ((await this.fill(deadline - performance.now())) === 0) {
        this.consume(this.buf.length);
        return null;
      }
    }
  }

  /**
   * Waits, while the session is idle, for input that `onInput` accepts: `onInput` is called at once on each
   * arrival (inside the source's 'data' event, without a turn of the promise queue, so a command that can be
   * answered at once costs no promise), and the wait ends with the first value it returns other than undefined.
   * Resolves null at the end of the stream; rejects with ReadTimeoutError when `idleMs` passes without a line
   * being taken (each line taken starts the time again), and with the error `onInput` throws or `abort` gave.
   *
   * @example
   * ```ts
   * const next = await reader.park(() => answerWhatArrived()); // undefined from it: keep waiting
   * ```
   */
  park<T>(onInput: () => T | undefined): Promise<T | null> {
    return new Promise<T | null>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.ended && this.pendingBytes === 0) return resolve(null);
      this.startWait({ kind: 'idle', resolve: resolve as (v: unknown) => void, reject, onInput }, this.opts.idleMs);
      if (this.pendingBytes > 0) this.notify();
    });
  }

  /** Lines taken so far (command lines, AUTH responses; an overlong one counts). */
  get lines(): number {
    return this.linesTaken;
  }

  /** True when a complete line is already received: the client is pipelining (RFC 2920), so replies can wait. */
  hasBufferedLine(): boolean {
    return this.lineEnd(this.opts.maxLineBytes, false) >= 0;
  }

  /** True when any byte is received and unread (a client that did not wait for a reply it had to wait for). */
  hasBufferedData(): boolean {
    return this.buf.length > 0 || this.pendingBytes > 0 || this.src.readableLength > 0;
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
    return bodyReader(async () => {
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
    return bodyReader(async () => {
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
}
