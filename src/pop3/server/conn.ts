/**
 * One POP3 connection: its state, its Pop3ConnInfo (live: `tls` changes after STLS), the reply queue, the
 * maildrop snapshot and the messages marked deleted, and the STLS upgrade. Commands (./commands) act on it; the
 * protocol engine (proto/engine.ts) drives it.
 *
 * Guarantees:
 * - `release()` of the maildrop is called exactly once per login: by QUIT (after its commit) or by `end()`
 *   (disconnect, timeout, error, shutdown), never with a commit in the second case (RFC 1939 §6).
 * - Replies and message bodies reach the socket only through `flush()`, in order; a body chunk waits for the
 *   socket to drain when the client reads slowly, so at most about 64 KiB plus the socket's buffer is held.
 * Limits: the reader takes lines up to `maxAuthLineBytes` (AUTH); the engine holds other commands to
 * `maxLineBytes` (RFC 2449 §4).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import {
  ConnectionLostError,
  LineReader,
  ProtocolError,
  isLoopback,
  type AuthThrottle,
  type EngineConn,
  type Logger,
  type ProtocolErrors,
} from '../../proto/index.js';
import * as replies from '../reply.js';
import { Pop3Error, formatError, formatMultiline, formatOk, messageDeleted, noSuchMessage } from '../reply.js';
import type { Pop3Backend, Pop3ConnInfo, Pop3Maildrop, Pop3Message } from './backend.js';
import type { Pop3Limits, Pop3ServerOptions } from './options.js';
import { outOfState, type Pop3State } from './state.js';

export type { Pop3State } from './state.js';

/** Reply and body octets queued past which a body write goes to the socket (and waits for it to drain). */
const FLUSH_AT = 64 * 1024;

/** What a connection needs from its server. */
export interface ConnContext {
  readonly hostname: string;
  readonly service: Pop3ConnInfo['service'];
  readonly backend: Pop3Backend;
  readonly limits: Pop3Limits;
  readonly log: Logger;
  readonly throttle: AuthThrottle;
  readonly authWithoutTls: NonNullable<Pop3ServerOptions['authWithoutTls']>;
  readonly apop: boolean;
  readonly now: () => number;
  /** The current certificate (setTls replaces it), or null without TLS. */
  secureContext(): SecureContext | null;
}

/** Pop3ConnInfo as the server keeps it up to date. */
class LiveConnInfo implements Pop3ConnInfo {
  constructor(
    readonly id: string,
    readonly remote: string,
    readonly remotePort: number,
    readonly local: string,
    readonly localPort: number,
    public tls: boolean,
    readonly service: Pop3ConnInfo['service'],
  ) {}
}

const pop3Errors: ProtocolErrors<Pop3State> = Object.freeze({
  unknownCommand: replies.unknownCommand,
  badSequence: outOfState,
  tlsRequired: replies.tlsRequired,
  syncError: replies.syncError,
  lineTooLong: replies.lineTooLong,
  badLine: replies.badLine,
  tooManyErrors: replies.tooManyErrors,
  timeout: replies.idleTimeout,
  internal: replies.internalError,
});

let counter = 0;
const idPrefix = randomBytes(3).toString('hex');

/** One POP3 connection. */
export class Pop3Conn implements EngineConn<Pop3State> {
  readonly id = `p${idPrefix}${(++counter).toString(36)}`;
  readonly info: LiveConnInfo;
  readonly reader: LineReader;
  readonly errors: ProtocolErrors<Pop3State>;
  readonly log: Logger;
  readonly maxErrors: number;
  readonly maxCommandBytes: number;
  state: Pop3State = 'authorization';
  closing = false;
  idle = false;
  errorCount = 0;
  /** The locked snapshot, from a successful login until QUIT or the end of the connection. */
  maildrop: Pop3Maildrop | null = null;
  /** Message numbers (1-based) marked deleted in this session (RFC 1939 §5 DELE). */
  readonly deleted = new Set<number>();
  /** The name from USER, waiting for PASS (RFC 1939 §7). */
  pendingUser: string | null = null;
  /** The greeting's APOP timestamp, brackets included (RFC 1939 §7), or null when APOP is off. */
  readonly timestamp: string | null;
  /** The client sent UTF8 (RFC 6856 §2). Nothing else changes: message bodies are sent as stored. */
  utf8 = false;
  /** The server is shutting down: close before the next command. */
  draining = false;
  private out: Buffer[] = [];
  private outBytes = 0;
  private ended = false;
  private aborted: Error | null = null;
  private wakeWriter: (() => void) | null = null;
  private readonly sessionTimer: NodeJS.Timeout;

  constructor(
    public socket: Socket | TLSSocket,
    readonly ctx: ConnContext,
    addr: { remote: string; remotePort: number; local: string; localPort: number; tls: boolean },
  ) {
    this.info = new LiveConnInfo(this.id, addr.remote, addr.remotePort, addr.local, addr.localPort, addr.tls, ctx.service);
    this.log = ctx.log;
    this.errors = pop3Errors;
    this.maxErrors = ctx.limits.maxErrors;
    this.maxCommandBytes = ctx.limits.maxLineBytes;
    this.reader = new LineReader(socket, { maxLineBytes: ctx.limits.maxAuthLineBytes, idleMs: ctx.limits.idleTimeoutMs });
    // RFC 1939 §7: <process-ID.clock@hostname>; the random part makes it unique even within one millisecond.
    this.timestamp = ctx.apop ? `<${process.pid}.${randomBytes(8).toString('hex')}.${ctx.now()}@${ctx.hostname}>` : null;
    this.sessionTimer = setTimeout(() => this.reader.abort(replies.idleTimeout()), ctx.limits.sessionTimeoutMs);
    this.sessionTimer.unref();
  }

  /** Queues bytes to send. */
  queue(data: Buffer | string): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.out.push(b);
    this.outBytes += b.length;
  }

  /** Queues `+OK text`. */
  reply(text: string): void {
    this.queue(formatOk(text));
  }

  /** Queues a multi-line response: `+OK first`, the lines (byte-stuffed), "." (RFC 1939 §3). */
  replyLines(first: string, lines: readonly string[]): void {
    this.queue(formatMultiline(first, lines));
  }

  sendError(err: ProtocolError): void {
    this.queue(formatError(err instanceof Pop3Error ? err : replies.internalError()));
  }

  pendingBytes(): number {
    return this.outBytes;
  }

  /** Takes the queued output off the queue. */
  private takeOutput(): Buffer {
    const b = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    return b;
  }

  async flush(): Promise<void> {
    if (this.out.length === 0) return;
    const data = this.takeOutput();
    const s = this.socket;
    if (s.destroyed || !s.writable) return;
    if (s.write(data)) return;
    // The client does not read: wait for it, but no longer than it may stay idle (RFC 1939 §3).
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeWriter = null;
        s.off('drain', done).off('close', done);
        resolve();
      };
      const timer = setTimeout(() => (s.destroy(), done()), this.ctx.limits.idleTimeoutMs);
      this.wakeWriter = done;
      s.on('drain', done).on('close', done);
    });
  }

  /**
   * Queues a chunk of a message body; writes (and waits for the socket to drain) once 64 KiB are queued.
   * Throws ConnectionLostError when the client is gone or the connection was aborted (shutdown deadline).
   */
  async writeChunk(chunk: Buffer): Promise<void> {
    this.queue(chunk);
    if (this.outBytes >= FLUSH_AT) await this.flush();
    if (this.aborted || this.socket.destroyed || !this.socket.writable) throw new ConnectionLostError();
  }

  async greet(): Promise<boolean> {
    this.log.info({ conn: this.id, remote: this.info.remote, service: this.info.service, tls: this.info.tls }, 'Connected');
    // RFC 1939 §4: "+OK" and text; RFC 1939 §7: the APOP timestamp anywhere in it.
    this.reply(`${this.ctx.hostname} POP3 server ready${this.timestamp ? ` ${this.timestamp}` : ''}`);
    return true;
  }

  /** POP3 has no command that needs TLS first; USER, PASS and AUTH check `authAllowed()` themselves. */
  mustStartTls(): boolean {
    return false;
  }

  interruption(): ProtocolError | null {
    return this.draining ? replies.shuttingDown() : null;
  }

  /** Whether USER/PASS and AUTH may run on this connection (issue 4 §1: after TLS, unless loopback or configured). */
  authAllowed(): boolean {
    const w = this.ctx.authWithoutTls;
    return this.info.tls || w === 'always' || (w === 'loopback' && isLoopback(this.info.remote));
  }

  /** Whether STLS can be offered now (RFC 2595 §4: AUTHORIZATION state, not yet TLS, on the STLS service). */
  stlsOffered(): boolean {
    return this.state === 'authorization' && !this.info.tls && this.ctx.service === 'pop3' && this.ctx.secureContext() !== null;
  }

  /** Enters TRANSACTION with a locked snapshot (RFC 1939 §4). */
  enterTransaction(maildrop: Pop3Maildrop): void {
    this.maildrop = maildrop;
    this.deleted.clear();
    this.pendingUser = null;
    this.state = 'transaction';
  }

  /** Messages not marked deleted, and their octets (RFC 1939 §5 STAT). */
  totals(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    (this.maildrop?.messages ?? []).forEach((m, i) => {
      if (this.deleted.has(i + 1)) return;
      count++;
      octets += m.size;
    });
    return { count, octets };
  }

  /**
   * The message a command argument names (RFC 1939 §5): -ERR No such message when it is not a number in range,
   * -ERR Message N already deleted when it is marked deleted.
   */
  message(arg: string): { n: number; msg: Pop3Message } {
    const messages = this.maildrop?.messages ?? [];
    if (!/^\d{1,10}$/.test(arg)) throw noSuchMessage();
    const n = Number(arg);
    const msg = messages[n - 1];
    if (n < 1 || !msg) throw noSuchMessage();
    if (this.deleted.has(n)) throw messageDeleted(n);
    return { n, msg };
  }

  /** Releases the maildrop lock, once; later calls do nothing. */
  async releaseMaildrop(): Promise<void> {
    const md = this.maildrop;
    this.maildrop = null;
    if (!md) return;
    try {
      await md.release();
    } catch (err) {
      this.log.error({ conn: this.id, err }, 'Releasing the maildrop failed');
    }
  }

  /**
   * STLS (RFC 2595 §4): replies +OK, switches the reader to a TLS socket (discarding every plaintext byte
   * received after the command) and waits for the handshake. The state stays AUTHORIZATION. Throws
   * ConnectionLostError when the handshake fails (nothing can be sent then).
   */
  async startTls(ctx: SecureContext): Promise<void> {
    this.pendingUser = null;
    this.reply('Begin TLS negotiation');
    // Write and wrap in the same tick: no byte of the client's handshake may be read as plaintext.
    this.socket.write(this.takeOutput());
    const tls = new TLSSocket(this.socket as Socket, { isServer: true, secureContext: ctx });
    tls.on('error', (err) => this.log.info({ conn: this.id, err: err.message }, 'TLS error'));
    this.reader.upgrade(tls);
    this.socket = tls;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(), this.ctx.limits.idleTimeoutMs);
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

  /** Forces the connection to end (shutdown): pending and later reads fail with `err`; a body being sent stops. */
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
    await this.releaseMaildrop(); // without commit: RFC 1939 §6, only QUIT enters UPDATE
    await this.flush().catch(() => undefined);
    const s = this.socket;
    s.end();
    const kill = setTimeout(() => s.destroy(), 5000);
    kill.unref();
    s.once('close', () => clearTimeout(kill));
    this.log.info({ conn: this.id }, 'Disconnected');
  }
}
