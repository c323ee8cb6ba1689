/**
 * One SMTP connection: its state, its ConnInfo (live: the backend sees HELO, TLS and the AUTH user as they
 * change), its replies, the transaction, and what STARTTLS resets. Commands (./commands) act on it; the
 * protocol engine (proto/engine.ts) drives it. The socket, the output queue and its flush, the TLS switch and
 * the end of the connection are LineConn's (proto/line-conn.ts).
 *
 * Guarantees: `session.close()` is called exactly once per session (on QUIT, disconnect and STARTTLS); a BDAT
 * body in flight is abandoned (its stream fails) before the session resets or closes; replies reach the socket
 * only through `flush()`, in order.
 */
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import {
  LineConn,
  LineConnInfo,
  ProtocolError,
  passwordAllowed,
  type AuthThrottle,
  type AuthWithoutTls,
  type LineEndScanner,
  type Logger,
  type PeerAddress,
  type ProtocolErrors,
} from '../../proto/index.js';
import * as replies from '../reply.js';
import { SmtpError, enhancedCode, formatError, formatReply, type Status } from '../reply.js';
import type { ConnInfo, MailOptions, SmtpBackend, SmtpSession } from './backend.js';
import type { SmtpLimits } from './limits.js';
import type { SmtpServerOptions } from './options.js';
import { inTransaction, outOfSequence, type SmtpState } from './sequence.js';
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
  readonly authWithoutTls: AuthWithoutTls;
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

/** ConnInfo as the server keeps it up to date: HELO and the AUTH user too. */
class SmtpConnInfo extends LineConnInfo<ConnInfo['service']> implements ConnInfo {
  helo?: string;
  user?: string;
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

/** One SMTP connection. */
export class SmtpConn extends LineConn<SmtpState> {
  override readonly info: SmtpConnInfo;
  override state: SmtpState = 'connected';
  /** The backend session, from EHLO/HELO until QUIT, disconnect or STARTTLS. */
  session: SmtpSession | null = null;
  tx: Transaction | null = null;
  /** The backend has transaction state: reset() it before the next MAIL. */
  needsReset = false;

  constructor(
    socket: Socket | TLSSocket,
    readonly ctx: ConnContext,
    addr: PeerAddress,
  ) {
    super(socket, {
      idTag: '',
      errors: smtpErrors,
      log: ctx.log,
      maxErrors: ctx.limits.maxErrors,
      maxCommandBytes: ctx.limits.maxLineBytes,
      reader: { maxLineBytes: ctx.limits.maxAuthLineBytes, idleMs: ctx.limits.commandTimeoutMs, minDataRate: ctx.limits.minDataRate },
      peerTimeoutMs: ctx.limits.commandTimeoutMs,
      sessionTimeoutMs: ctx.limits.sessionTimeoutMs,
    });
    this.info = new SmtpConnInfo(this.id, addr, ctx.service);
  }

  /** Queues a reply; the enhanced code's class comes from `code` (STYLE.md §4). */
  reply(code: number, status: Status | null, text: string | readonly string[]): void {
    this.queue(formatReply(code, enhancedCode(code, status), text)); // printable ASCII only, so one octet per character
  }

  override sendError(err: ProtocolError): void {
    this.queue(formatError(err instanceof SmtpError ? err : replies.tempFailure()));
  }

  protected override queueGreeting(): void {
    // RFC 5321 §4.2: 220 <domain> text. RFC 2034 §3: no enhanced code in the greeting.
    this.reply(220, null, `${this.ctx.hostname} ESMTP Postroom`);
  }

  override mustStartTls(): boolean {
    return this.ctx.requireTls && !this.info.tls;
  }

  override interruption(): ProtocolError | null {
    return this.draining && !inTransaction(this.state) ? replies.shuttingDown(this.ctx.hostname) : null;
  }

  /** Whether AUTH may run on this connection (issue 3 §3: after TLS, unless loopback or configured). */
  authAllowed(): boolean {
    return passwordAllowed(this.ctx.authWithoutTls, this.info);
  }

  /** Abandons the transaction (a BDAT body in flight fails) and returns to 'greeted' (or 'connected'). */
  async abortTransaction(): Promise<void> {
    const bdat = this.tx?.bdat;
    this.tx = null;
    if (bdat) await bdat.transfer.abort(new Error('Transaction abandoned'));
    this.state = this.session ? 'greeted' : 'connected';
  }

  /**
   * Ends the transaction with the verdict on its body (DATA, BDAT LAST): 250 with the backend's text once
   * `session.data()` resolved, or the refusal `Transfer.finish()` throws. Either way the connection is back in
   * 'greeted'; an accepted message clears the error count.
   */
  async finishTransaction(transfer: Transfer): Promise<void> {
    let text: string;
    try {
      text = await transfer.finish();
    } finally {
      this.tx = null;
      this.state = 'greeted';
    }
    this.errorCount = 0;
    this.reply(250, [0, 0], text);
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
    await this.switchToTls(ctx);
    this.info.helo = undefined;
    this.info.user = undefined;
    this.state = 'connected';
  }

  protected override async releaseSession(): Promise<void> {
    try {
      await this.abortTransaction();
    } catch (err) {
      this.log.error({ conn: this.id, err }, 'Abandoning the transaction failed');
    }
    await this.closeSession();
  }
}
