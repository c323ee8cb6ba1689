/**
 * What every line-protocol connection (SMTP, POP3) does the same way below its commands: the output queue and its
 * bounded flush, the in-place TLS upgrade (STARTTLS, STLS), the session time limit, abort and destroy, and the
 * orderly end. A protocol subclasses LineConn and adds its state, its replies and its session (SmtpConn, Pop3Conn);
 * nothing here knows a reply format: the subclass queues bytes it has formatted itself.
 *
 * Guarantees:
 * - Output reaches the socket only through `flush()`, in the order queued, in one write per flush. When the client
 *   does not read, a flush waits for the socket to drain for at most `peerTimeoutMs`, then destroys the socket;
 *   `abort()` ends that wait at once.
 * - `switchToTls()` writes what is queued and wraps the socket in the same tick, so no byte of the client's
 *   handshake is read as plaintext (RFC 3207 §4.2, RFC 2595 §4); the reader discards every plaintext byte
 *   received after the command (CVE-2011-0411 class).
 * - `end()` runs once: it releases the session (the subclass's `releaseSession()`), flushes, ends the socket and
 *   destroys it 5 s later if the client does not close.
 * Limits: one session lasts at most `sessionTimeoutMs` (then reads fail with the protocol's timeout error).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { EngineConn, ProtocolErrors } from './engine.js';
import type { ProtocolError } from './errors.js';
import { ConnectionLostError, LineReader, type LineReaderOptions } from './line-reader.js';
import type { Logger } from './log.js';

/** Where a connection comes from and arrives at, as the listener accepted it. */
export interface PeerAddress {
  /** The client's IP address (an IPv4-mapped IPv6 address already turned into IPv4). */
  readonly remote: string;
  readonly remotePort: number;
  readonly local: string;
  readonly localPort: number;
  /** TLS from the first byte (implicit TLS, RFC 8314). */
  readonly tls: boolean;
}

/**
 * The connection facts a backend sees, kept up to date: `tls` turns true after STARTTLS/STLS. A protocol may
 * extend it (SMTP adds the HELO name and the AUTH user).
 *
 * @example
 * ```ts
 * const info = new LineConnInfo('a1', { remote: '192.0.2.1', remotePort: 4000, local: '192.0.2.9', localPort: 110, tls: false }, 'pop3');
 * info.tls = true; // after the handshake
 * ```
 */
export class LineConnInfo<Service extends string> {
  readonly remote: string;
  readonly remotePort: number;
  readonly local: string;
  readonly localPort: number;
  tls: boolean;

  constructor(
    readonly id: string,
    peer: PeerAddress,
    readonly service: Service,
  ) {
    this.remote = peer.remote;
    this.remotePort = peer.remotePort;
    this.local = peer.local;
    this.localPort = peer.localPort;
    this.tls = peer.tls;
  }
}

/** What a protocol tells LineConn about itself. */
export interface LineConnOptions<S extends string> {
  /** Prepended to connection ids, so logs tell the protocols apart ('' for SMTP, 'p' for POP3). */
  readonly idTag: string;
  readonly errors: ProtocolErrors<S>;
  readonly log: Logger;
  /** Error replies allowed before the connection is closed. */
  readonly maxErrors: number;
  /** Longest command line in octets including CRLF. */
  readonly maxCommandBytes: number;
  /** The reader's limits (its line limit is the longest line any command may send, e.g. an AUTH response). */
  readonly reader: LineReaderOptions;
  /** How long the client may keep a flush waiting to drain, or a TLS handshake waiting (the command timeout). */
  readonly peerTimeoutMs: number;
  /** The whole session's time limit; past it, reads fail with `errors.timeout()`. */
  readonly sessionTimeoutMs: number;
}

/**
 * Output gathered for one write: a pipelined group's replies and message bodies (up to the engine's FLUSH_AT, 192
 * KiB, and one message of at most 64 KiB) are copied into a buffer of this size taken from a pool shared by every
 * connection of this thread, instead of into a new buffer per write. Buffers this size live outside the JavaScript
 * heap, and V8 counts what is allocated there against the old generation's limit: a new 256 KiB buffer per write (what a write the kernel could not take at once
 * used to cost, about every write of a pipelined RETR) started a full garbage collection every few thousand
 * messages. A buffer goes back to the pool as soon as its write is done: at once when the kernel took every byte
 * inside write(), else when the socket calls the write's callback.
 */
const SCRATCH_BYTES = 256 * 1024;
/** Most free buffers kept (8 MiB): enough for every write in flight to 20 clients reading as fast as they can. */
const SCRATCH_POOL = 32;
const scratchPool: Buffer[] = [];

/** Copies `chunks` (`bytes` in all, at most SCRATCH_BYTES) into a pooled buffer; returns it and the part filled. */
function gather(chunks: readonly Buffer[], bytes: number): { data: Buffer; scratch: Buffer } {
  const into = scratchPool.pop() ?? Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  let at = 0;
  for (const c of chunks) at += c.copy(into, at);
  return { data: into.subarray(0, bytes), scratch: into };
}

/** A function that puts `scratch` back in the pool the first time it is called (a write's callback, or at once). */
function giveBack(scratch: Buffer): () => void {
  let back = false;
  return () => {
    if (back) return;
    back = true;
    if (scratchPool.length < SCRATCH_POOL) scratchPool.push(scratch);
  };
}

let counter = 0;
const idPrefix = randomBytes(3).toString('hex');

/**
 * The protocol-independent part of one connection (see the module header). Subclasses set `state` and `info`,
 * and implement the greeting, the protocol's refusals and what ending a session releases.
 *
 * @example
 * ```ts
 * // The whole of a protocol's connection (src/testing/toy-line.ts has it all):
 * class ToyConn extends LineConn<'open'> {
 *   override state: 'open' = 'open';
 *   override readonly info = new LineConnInfo(this.id, peer, 'toy');
 *   protected override queueGreeting(): void { this.queue('+OK toy ready\r\n'); }
 *   override sendError(err: ProtocolError): void { this.queue(`-ERR ${err.message}\r\n`); }
 *   // mustStartTls(), interruption(), releaseSession() …
 * }
 * await runSession(new ToyConn(socket, options), toyCommands);
 * ```
 */
export abstract class LineConn<S extends string> implements EngineConn<S> {
  readonly id: string;
  readonly reader: LineReader;
  readonly errors: ProtocolErrors<S>;
  readonly log: Logger;
  readonly maxErrors: number;
  readonly maxCommandBytes: number;
  abstract state: S;
  /** Who is connected; `tls` is updated by `switchToTls()`. */
  abstract readonly info: LineConnInfo<string>;
  closing = false;
  idle = false;
  errorCount = 0;
  /** The server is shutting down: close once `interruption()` allows it. */
  draining = false;
  /** Octets queued and not yet written. */
  protected outBytes = 0;
  /** Octets queued over the whole connection (the end of session log line says how far it got). */
  private queuedTotal = 0;
  /** Why the connection was aborted (shutdown deadline), or null: a body being sent must stop. */
  protected aborted: Error | null = null;
  private out: Buffer[] = [];
  private wakeWriter: (() => void) | null = null;
  private ended = false;
  private readonly peerTimeoutMs: number;
  private readonly sessionTimer: NodeJS.Timeout;

  protected constructor(
    public socket: Socket | TLSSocket,
    opts: LineConnOptions<S>,
  ) {
    this.id = `${opts.idTag}${idPrefix}${(++counter).toString(36)}`;
    this.errors = opts.errors;
    this.log = opts.log;
    this.maxErrors = opts.maxErrors;
    this.maxCommandBytes = opts.maxCommandBytes;
    this.peerTimeoutMs = opts.peerTimeoutMs;
    this.reader = new LineReader(socket, opts.reader);
    this.sessionTimer = setTimeout(() => this.reader.abort(this.errors.timeout()), opts.sessionTimeoutMs);
    this.sessionTimer.unref();
  }

  /** Queues the greeting (the engine flushes it). */
  protected abstract queueGreeting(): void;

  /** Releases what the session holds (backend session, maildrop lock); called once, by `end()`, before the last flush. */
  protected abstract releaseSession(): Promise<void>;

  abstract mustStartTls(): boolean;
  abstract interruption(): ProtocolError | null;
  abstract sendError(err: ProtocolError): void;

  /** Queues bytes to send; a string is taken as latin1 (one octet per character). */
  queue(data: Buffer | string): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.out.push(b);
    this.outBytes += b.length;
    this.queuedTotal += b.length;
  }

  pendingBytes(): number {
    return this.outBytes;
  }

  /**
   * Takes the queued output off the queue, as one buffer. Several chunks on a plain socket are gathered into a pooled
   * buffer (see `gather`), others into a new one.
   */
  private takeOutput(): { data: Buffer; scratch?: Buffer } {
    const { out, outBytes } = this;
    this.out = [];
    this.outBytes = 0;
    if (out.length === 1) return { data: out[0]! };
    if (outBytes > SCRATCH_BYTES || this.socket instanceof TLSSocket) return { data: Buffer.concat(out, outBytes) };
    return gather(out, outBytes);
  }

  /**
   * Writes the queued output. Resolves at once (returns undefined) when the socket took it; returns a promise when
   * the client does not read and the write must wait for the socket to drain.
   */
  flush(): Promise<void> | undefined {
    if (this.out.length === 0) return undefined;
    const s = this.socket;
    if (s.destroyed || !s.writable) {
      this.out = []; // nobody to send it to: dropped, not gathered
      this.outBytes = 0;
      return undefined;
    }
    return this.writeOutput() ? undefined : this.drained(s);
  }

  /** Writes the queued output to the socket as it is now; returns what write() returned. */
  private writeOutput(): boolean {
    const { data, scratch } = this.takeOutput();
    const s = this.socket;
    if (!scratch) return s.write(data);
    // A pooled buffer may be filled again once no pending write refers to it: at once if the kernel took every byte
    // inside write() (nothing is left queued in the stream), else when the write's callback says it is done.
    const back = giveBack(scratch);
    const ok = s.write(data, back);
    if (s.writableLength === 0) back();
    return ok;
  }

  /** Waits for the socket to drain (the client does not read), but no longer than it may take over a command. */
  private async drained(s: Socket | TLSSocket): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeWriter = null;
        s.off('drain', done).off('close', done);
        resolve();
      };
      const timer = setTimeout(() => (s.destroy(), done()), this.peerTimeoutMs);
      this.wakeWriter = done;
      s.on('drain', done).on('close', done);
    });
  }

  async greet(): Promise<void> {
    this.log.info({ conn: this.id, remote: this.info.remote, service: this.info.service, tls: this.info.tls }, 'Connected');
    this.queueGreeting();
  }

  /**
   * Writes the queued output (the reply that tells the client to start its handshake), switches the reader to a
   * TLS socket over this one (discarding every plaintext byte received after the command) and waits for the
   * handshake; then `info.tls` is true. Throws ConnectionLostError when the handshake fails or takes longer than
   * `peerTimeoutMs` (nothing can be sent then).
   */
  protected async switchToTls(ctx: SecureContext): Promise<void> {
    // Write and wrap in the same tick: no byte of the client's handshake may be read as plaintext.
    this.writeOutput();
    const tls = new TLSSocket(this.socket as Socket, { isServer: true, secureContext: ctx });
    tls.on('error', (err) => this.log.info({ conn: this.id, err: err.message }, 'TLS error'));
    this.reader.upgrade(tls);
    this.socket = tls;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(), this.peerTimeoutMs);
      const fail = (): void => {
        clearTimeout(timer);
        tls.destroy();
        reject(new ConnectionLostError());
      };
      tls.once('secure', () => {
        clearTimeout(timer);
        tls.off('close', fail);
        resolve();
      });
      tls.once('close', fail);
    });
    this.info.tls = true;
    this.log.info({ conn: this.id, protocol: tls.getProtocol(), cipher: tls.getCipher().name }, 'TLS started');
  }

  /** Forces the connection to end (shutdown): pending and later reads fail with `err`; a write waiting to drain stops waiting. */
  abort(err: Error): void {
    this.aborted ??= err;
    this.reader.abort(err);
    this.wakeWriter?.();
  }

  /** Destroys the socket at once. */
  destroy(): void {
    this.socket.destroy();
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.sessionTimer);
    await this.releaseSession();
    await this.flush()?.catch(() => undefined);
    const s = this.socket;
    s.end();
    // A client that never closes its side must not hold the socket open.
    const kill = setTimeout(() => s.destroy(), 5000);
    kill.unref();
    s.once('close', () => clearTimeout(kill));
    // How far the session got, as Dovecot's logout line says: command lines read, octets sent.
    this.log.info({ conn: this.id, lines: this.reader.lines, octets: this.queuedTotal }, 'Disconnected');
  }
}
