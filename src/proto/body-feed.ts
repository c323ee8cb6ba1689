/**
 * The Readable a protocol engine hands to a backend for a message body (SMTP DATA and BDAT), fed by the engine
 * chunk by chunk with backpressure: `write()` resolves only when the backend wants more, so a slow disk slows the
 * socket instead of filling memory.
 *
 * The engine owns the size limit (STYLE.md §1.3): past `maxBytes` the stream is destroyed with the error that
 * `tooBig()` makes, so a backend that stores with `pipeline()` rejects and keeps nothing; the engine then drains
 * the rest of the body and replies itself. `fail(err)` does the same for any other refusal (bare line ends,
 * connection lost, shutdown). A refused message therefore never reaches the end of its stream: a backend can
 * only acknowledge a body whose stream ended cleanly.
 */
import { Readable } from 'node:stream';

/** Options of a BodyFeed. */
export interface BodyFeedOptions {
  /** Octets allowed; one more fails the stream. */
  readonly maxBytes: number;
  /** Makes the error the stream fails with past `maxBytes`. */
  readonly tooBig: () => Error;
  /** Buffered octets before `write()` waits (default 64 KiB). */
  readonly highWaterMark?: number;
}

/** A push-fed body stream with backpressure and a size limit. */
export class BodyFeed {
  /** The stream for the backend. */
  readonly readable: Readable;
  /** Octets written so far (including any past the limit). */
  bytes = 0;
  /** True once more than `maxBytes` were written. */
  overflowed = false;
  private waiting: (() => void) | null = null;
  private closed = false;

  constructor(private readonly opts: BodyFeedOptions) {
    this.readable = new Readable({
      highWaterMark: opts.highWaterMark ?? 64 * 1024,
      read: () => this.release(),
      destroy: (err, cb) => {
        this.closed = true;
        this.release();
        cb(err);
      },
    });
    // A consumer that never reads (it refused at once) must not turn a later fail() into an uncaught error.
    this.readable.on('error', () => {});
  }

  private release(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  /** False once the stream ended, failed, or its consumer went away: further writes are discarded. */
  get alive(): boolean {
    return !this.closed;
  }

  /**
   * Writes a chunk; resolves when the consumer can take more. Past the limit, fails the stream instead.
   *
   * @example
   * ```ts
   * const feed = new BodyFeed({ maxBytes: 10, tooBig: () => new Error('Too big') });
   * const stored = backend.store(feed.readable);
   * await feed.write(Buffer.from('hello'));
   * feed.end();
   * ```
   */
  async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (!this.overflowed && this.bytes > this.opts.maxBytes) {
      this.overflowed = true;
      this.fail(this.opts.tooBig());
    }
    if (this.closed || chunk.length === 0) return;
    if (!this.readable.push(chunk)) await new Promise<void>((resolve) => (this.waiting = resolve));
  }

  /** Ends the stream cleanly (the body is complete). */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.readable.push(null);
  }

  /** Fails the stream with `err` (the consumer sees it as a stream error). */
  fail(err: Error): void {
    if (this.closed && this.readable.destroyed) return;
    this.closed = true;
    this.release();
    this.readable.destroy(err);
  }

  /** The consumer is done (its promise settled): stop waiting for it and discard further writes. */
  detach(): void {
    this.closed = true;
    this.release();
  }
}
