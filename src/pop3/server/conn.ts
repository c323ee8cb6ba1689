/**
 * One POP3 connection: its state, its Pop3ConnInfo (live: `tls` changes after STLS), its replies, the
 * maildrop snapshot and the messages marked deleted, and what STLS resets. Commands (./commands) act on it; the
 * protocol engine (proto/engine.ts) drives it. The socket, the output queue and its flush, the TLS switch and
 * the end of the connection are LineConn's (proto/line-conn.ts).
 *
 * Guarantees:
 * - `release()` of the maildrop is called exactly once per login: by QUIT (after its commit) or by `end()`
 *   (disconnect, timeout, error, shutdown), never with a commit in the second case (RFC 1939 §6).
 * - Replies and message bodies reach the socket only through `flush()`, in order; a body chunk waits for the
 *   socket to drain when the client reads slowly (a message read whole, at most 64 KiB, is queued at once, and
 *   the engine writes once FLUSH_AT, 192 KiB, are queued), so at most about 256 KiB plus the socket's buffer is held.
 * Limits: the reader takes lines up to `maxAuthLineBytes` (AUTH); the engine holds other commands to
 * `maxLineBytes` (RFC 2449 §4).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import {
  ConnectionLostError,
  FLUSH_AT,
  LineConn,
  LineConnInfo,
  ProtocolError,
  passwordAllowed,
  type AuthThrottle,
  type Logger,
  type PeerAddress,
  type ProtocolErrors,
} from '../../proto/index.js';
import * as replies from '../reply.js';
import { Pop3Error, formatError, formatListing, formatMultiline, formatOk, messageDeleted, noSuchMessage } from '../reply.js';
import type { Pop3Backend, Pop3ConnInfo, Pop3Maildrop, Pop3Message } from './backend.js';
import type { Pop3Limits, Pop3ServerOptions } from './options.js';
import { outOfState, type Pop3State } from './state.js';

export type { Pop3State } from './state.js';

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

/** One POP3 connection. */
export class Pop3Conn extends LineConn<Pop3State> {
  /** Pop3ConnInfo as the server keeps it up to date. */
  override readonly info: LineConnInfo<Pop3ConnInfo['service']>;
  override state: Pop3State = 'authorization';
  /** The locked snapshot, from a successful login until QUIT or the end of the connection. */
  maildrop: Pop3Maildrop | null = null;
  /** Message numbers (1-based) marked deleted in this session (RFC 1939 §5 DELE). */
  readonly deleted = new Set<number>();
  /** The octets of the whole snapshot, summed once at login (totals() subtracts the messages marked deleted). */
  private snapshotOctets = 0;
  /** The name from USER, waiting for PASS (RFC 1939 §7). */
  pendingUser: string | null = null;
  /** The greeting's APOP timestamp, brackets included (RFC 1939 §7), or null when APOP is off. */
  readonly timestamp: string | null;
  /** The client sent UTF8 (RFC 6856 §2). Nothing else changes: message bodies are sent as stored. */
  utf8 = false;

  constructor(
    socket: Socket | TLSSocket,
    readonly ctx: ConnContext,
    addr: PeerAddress,
  ) {
    super(socket, {
      idTag: 'p',
      errors: pop3Errors,
      log: ctx.log,
      maxErrors: ctx.limits.maxErrors,
      maxCommandBytes: ctx.limits.maxLineBytes,
      reader: { maxLineBytes: ctx.limits.maxAuthLineBytes, idleMs: ctx.limits.idleTimeoutMs },
      // RFC 1939 §3: the client may stay idle this long; a flush or handshake may not wait longer.
      peerTimeoutMs: ctx.limits.idleTimeoutMs,
      sessionTimeoutMs: ctx.limits.sessionTimeoutMs,
    });
    this.info = new LineConnInfo(this.id, addr, ctx.service);
    // RFC 1939 §7: <process-ID.clock@hostname>; the random part makes it unique even within one millisecond.
    this.timestamp = ctx.apop ? `<${process.pid}.${randomBytes(8).toString('hex')}.${ctx.now()}@${ctx.hostname}>` : null;
  }

  /** Queues `+OK text`. */
  reply(text: string): void {
    this.queue(formatOk(text));
  }

  /** Queues a multi-line response: `+OK first`, the lines (byte-stuffed), "." (RFC 1939 §3). */
  replyLines(first: string, lines: readonly string[]): void {
    this.queue(formatMultiline(first, lines));
  }

  /** Queues a listing of the messages not marked deleted: `+OK first`, "n value" for each, "." (LIST, UIDL). */
  replyListing(first: string, valueOf: (msg: Pop3Message) => number | string): void {
    const messages = this.maildrop?.messages ?? [];
    const deleted = this.deleted;
    this.queue(formatListing(first, messages.length, (n) => (deleted.has(n) ? undefined : valueOf(messages[n - 1]!))));
  }

  override sendError(err: ProtocolError): void {
    this.queue(formatError(err instanceof Pop3Error ? err : replies.internalError()));
  }

  /**
   * Queues a chunk of a message body; writes (and waits for the socket to drain) once FLUSH_AT (192 KiB) are queued.
   * Throws ConnectionLostError when the client is gone or the connection was aborted (shutdown deadline).
   */
  async writeChunk(chunk: Buffer): Promise<void> {
    this.queue(chunk);
    if (this.outBytes >= FLUSH_AT) await this.flush();
    if (this.aborted || this.socket.destroyed || !this.socket.writable) throw new ConnectionLostError();
  }

  protected override queueGreeting(): void {
    // RFC 1939 §4: "+OK" and text; RFC 1939 §7: the APOP timestamp anywhere in it.
    this.reply(`${this.ctx.hostname} POP3 server ready${this.timestamp ? ` ${this.timestamp}` : ''}`);
  }

  /** POP3 has no command that needs TLS first; USER, PASS and AUTH check `authAllowed()` themselves. */
  override mustStartTls(): boolean {
    return false;
  }

  override interruption(): ProtocolError | null {
    return this.draining ? replies.shuttingDown() : null;
  }

  /** Whether USER/PASS and AUTH may run on this connection (issue 4 §1: after TLS, unless loopback or configured). */
  authAllowed(): boolean {
    return passwordAllowed(this.ctx.authWithoutTls, this.info);
  }

  /** Whether STLS can be offered now (RFC 2595 §4: AUTHORIZATION state, not yet TLS, on the STLS service). */
  stlsOffered(): boolean {
    return this.state === 'authorization' && !this.info.tls && this.ctx.service === 'pop3' && this.ctx.secureContext() !== null;
  }

  /** Enters TRANSACTION with a locked snapshot (RFC 1939 §4). */
  enterTransaction(maildrop: Pop3Maildrop): void {
    this.maildrop = maildrop;
    let octets = 0;
    for (const m of maildrop.messages) octets += m.size;
    this.snapshotOctets = octets;
    this.deleted.clear();
    this.pendingUser = null;
    this.state = 'transaction';
  }

  /** Messages not marked deleted, and their octets (RFC 1939 §5 STAT): the snapshot's sum less what DELE marked. */
  totals(): { count: number; octets: number } {
    const messages = this.maildrop?.messages;
    if (!messages) return { count: 0, octets: 0 };
    let octets = this.snapshotOctets;
    for (const n of this.deleted) octets -= messages[n - 1]!.size; // DELE marks only numbers in range
    return { count: messages.length - this.deleted.size, octets };
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
    await this.switchToTls(ctx);
  }

  protected override async releaseSession(): Promise<void> {
    await this.releaseMaildrop(); // without commit: RFC 1939 §6, only QUIT enters UPDATE
  }
}
