/**
 * One SMTP connection: its state, its ConnInfo (live: the backend sees HELO, TLS and the AUTH user as they
 * change), the reply queue, the transaction, and the STARTTLS upgrade. Commands (./commands) act on it; the
 * protocol engine (proto/engine.ts) drives it.
 *
 * Guarantees: `session.close()` is called exactly once per session (on QUIT, disconnect and STARTTLS); a BDAT
 * body in flight is abandoned (its stream fails) before the session resets or closes; replies reach the socket
 * only through `flush()`, in order.
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
  type LineEndScanner,
  type Logger,
  type ProtocolErrors,
} from '../../proto/index.js';
import * as replies from '../reply.js';
import { SmtpError, formatReply, type Status } from '../reply.js';
import type { ConnInfo, MailOptions, SmtpBackend, SmtpSession } from './backend.js';
import type { SmtpLimits } from './limits.js';
import type { SmtpServerOptions } from './options.js';
import { outOfSequence, type SmtpState } from './sequence.js';
import type { Transfer } from './transfer.js';

export type { SmtpState } from './sequence.js';

/** What a connection needs from its server. */
export interface ConnContext {
  readonly hostname: string;
  readonly service: ConnInfo['service'];
  readonly backend: SmtpBackend;
  readonly limits: SmtpLimits;
  readonly log: Logger;
  readonly throttle: AuthThrottle;
  readonly requireAuth: boolean;
  readonly requireTls: boolean;
  readonly authWithoutTls: NonNullable<SmtpServerOptions['authWithoutTls']>;
  readonly bareNewline: NonNullable<SmtpServerOptions['bareNewline']>;
  readonly hasSpaceFor: (bytes: number) => Promise<boolean>;
  /** The current certificate (setTls replaces it), or null without TLS. */
  secureContext(): SecureContext | null;
}

/** The mail transaction between MAIL and the end of the body. */
export interface Transaction {
  readonly from: string;
  readonly opts: MailOptions;
  rcpts: number;
  /** The BDAT body in flight (state 'bdat'). */
  bdat: { transfer: Transfer; scanner: LineEndScanner } | null;
}

/** ConnInfo as the server keeps it up to date. */
class LiveConnInfo implements ConnInfo {
  helo?: string;
  user?: string;
  constructor(
    readonly id: string,
    readonly remote: string,
    readonly remotePort: number,
    readonly local: string,
    readonly localPort: number,
    public tls: boolean,
    readonly service: ConnInfo['service'],
  ) {}
}

const smtpErrors: ProtocolErrors<SmtpState> = Object.freeze({
  unknownCommand: replies.unknownCommand,
  badSequence: outOfSequence,
  tlsRequired: replies.tlsRequired,
  syncError: replies.syncError,
  lineTooLong: replies.lineTooLong,
  badLine: replies.badLine,
  tooManyErrors: replies.tooManyErrors,
  timeout: replies.timeout,
  internal: replies.tempFailure,
});

let counter = 0;
const idPrefix = randomBytes(3).toString('hex');

/** One SMTP connection. */
export class SmtpConn implements EngineConn<SmtpState> {
  readonly id = `${idPrefix}${(++counter).toString(36)}`;
  readonly info: LiveConnInfo;
  readonly reader: LineReader;
  readonly errors: ProtocolErrors<SmtpState>;
  readonly log: Logger;
  readonly maxErrors: number;
  readonly maxCommandBytes: number;
  state: SmtpState = 'connected';
  closing = false;
  idle = false;
  errorCount = 0;
  /** The backend session, from EHLO/HELO until QUIT, disconnect or STARTTLS. */
  session: SmtpSession | null = null;
  tx: Transaction | null = null;
  /** The backend has transaction state: reset() it before the next MAIL. */
  needsReset = false;
  /** The server is shutting down: close once no transaction is open. */
  draining = false;
  private out: string[] = [];
  private outBytes = 0;
  private ended = false;
  private readonly sessionTimer: NodeJS.Timeout;

  constructor(
    public socket: Socket | TLSSocket,
    readonly ctx: ConnContext,
    addr: { remote: string; remotePort: number; local: string; localPort: number; tls: boolean },
  ) {
    this.info = new LiveConnInfo(this.id, addr.remote, addr.remotePort, addr.local, addr.localPort, addr.tls, ctx.service);
    this.log = ctx.log;
    this.errors = smtpErrors;
    this.maxErrors = ctx.limits.maxErrors;
    this.maxCommandBytes = ctx.limits.maxLineBytes;
    this.reader = new LineReader(socket, {
      maxLineBytes: ctx.limits.maxAuthLineBytes,
      idleMs: ctx.limits.commandTimeoutMs,
      minDataRate: ctx.limits.minDataRate,
    });
    this.sessionTimer = setTimeout(() => this.reader.abort(replies.timeout()), ctx.limits.sessionTimeoutMs);
    this.sessionTimer.unref();
  }

  /** Queues a reply; the enhanced code's class comes from `code` (STYLE.md §4). */
  reply(code: number, status: Status | null, text: string | readonly string[]): void {
    const enhanced = status && `${Math.trunc(code / 100)}.${status.join('.')}`;
    const s = formatReply(code, enhanced, text);
    this.out.push(s);
    this.outBytes += s.length;
  }

  sendError(err: ProtocolError): void {
    const e = err instanceof SmtpError ? err : replies.tempFailure();
    this.reply(e.code, e.status, e.message);
  }

  pendingBytes(): number {
    return this.outBytes;
  }

  /** Takes the queued replies off the queue. */
  private takeOutput(): string {
    const s = this.out.join('');
    this.out = [];
    this.outBytes = 0;
    return s;
  }

  async flush(): Promise<void> {
    if (this.out.length === 0) return;
    const data = this.takeOutput();
    const s = this.socket;
    if (s.destroyed || !s.writable) return;
    if (s.write(data)) return;
    // The client does not read its replies: wait for it, but not longer than a command may take.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        s.off('drain', done).off('close', done);
        resolve();
      };
      const timer = setTimeout(() => (s.destroy(), done()), this.ctx.limits.commandTimeoutMs);
      s.on('drain', done).on('close', done);
    });
  }

  async greet(): Promise<boolean> {
    this.log.info({ conn: this.id, remote: this.info.remote, service: this.info.service, tls: this.info.tls }, 'Connected');
    // RFC 5321 §4.2: 220 <domain> text. RFC 2034 §3: no enhanced code in the greeting.
    this.reply(220, null, `${this.ctx.hostname} ESMTP Postroom`);
    return true;
  }

  mustStartTls(): boolean {
    return this.ctx.requireTls && !this.info.tls;
  }

  /** True between MAIL and the end of the body. */
  inTransaction(): boolean {
    return this.state === 'mail' || this.state === 'rcpt' || this.state === 'bdat';
  }

  interruption(): ProtocolError | null {
    return this.draining && !this.inTransaction() ? replies.shuttingDown(this.ctx.hostname) : null;
  }

  /** Whether AUTH may run on this connection (issue 3 §3: after TLS, unless loopback or configured). */
  authAllowed(): boolean {
    const w = this.ctx.authWithoutTls;
    return this.info.tls || w === 'always' || (w === 'loopback' && isLoopback(this.info.remote));
  }

  /** Abandons the transaction (a BDAT body in flight fails) and returns to 'greeted' (or 'connected'). */
  async abortTransaction(): Promise<void> {
    const bdat = this.tx?.bdat;
    this.tx = null;
    if (bdat) await bdat.transfer.abort(new Error('Transaction abandoned'));
    this.state = this.session ? 'greeted' : 'connected';
  }

  /** RSET semantics: abandon the transaction and reset the backend session. */
  async reset(): Promise<void> {
    await this.abortTransaction();
    if (this.session) await this.session.reset();
    this.needsReset = false;
  }

  /** Closes the backend session (once). */
  private async closeSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.needsReset = false;
    if (!s) return;
    try {
      await s.close();
    } catch (err) {
      this.log.error({ conn: this.id, err }, 'Session close failed');
    }
  }

  /**
   * STARTTLS (RFC 3207 §4.2): replies 220, switches the reader to a TLS socket (discarding every plaintext byte
   * received after the command) and waits for the handshake; then the session starts over. Throws
   * ConnectionLostError when the handshake fails (nothing can be sent then).
   */
  async startTls(ctx: SecureContext): Promise<void> {
    await this.abortTransaction();
    await this.closeSession();
    this.reply(220, [0, 0], 'Ready to start TLS');
    // Write and wrap in the same tick: no byte of the client's handshake may be read as plaintext.
    this.socket.write(this.takeOutput());
    const tls = new TLSSocket(this.socket as Socket, { isServer: true, secureContext: ctx });
    this.reader.upgrade(tls);
    this.socket = tls;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(), this.ctx.limits.commandTimeoutMs);
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
    this.info.helo = undefined;
    this.info.user = undefined;
    this.state = 'connected';
    this.log.info({ conn: this.id, protocol: tls.getProtocol(), cipher: tls.getCipher().name }, 'TLS started');
  }

  /** Forces the connection to end (shutdown deadline): pending and later reads fail with `err`. */
  abort(err: Error): void {
    this.reader.abort(err);
  }

  /** Destroys the socket at once. */
  destroy(): void {
    this.socket.destroy();
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.sessionTimer);
    try {
      await this.abortTransaction();
    } catch (err) {
      this.log.error({ conn: this.id, err }, 'Abandoning the transaction failed');
    }
    await this.closeSession();
    await this.flush().catch(() => undefined);
    const s = this.socket;
    s.end();
    const kill = setTimeout(() => s.destroy(), 5000);
    kill.unref();
    s.once('close', () => clearTimeout(kill));
    this.log.info({ conn: this.id }, 'Disconnected');
  }
}
