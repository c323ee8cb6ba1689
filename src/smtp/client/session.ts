/**
 * An open SMTP client connection (SmtpConnection): transactions one at a time, QUIT, destroy. `connect()`
 * makes it once the greeting, EHLO, STARTTLS and AUTH are done.
 *
 * Guarantees: `quit()` never throws and is bounded by the command timeout; `send()` refuses to run while another
 * transaction is in progress or once the connection is unusable.
 */
import { sendTransaction, type TransactionContext } from './transaction.js';
import { SmtpClientError, type BodySource, type ClientEnvelope, type ClientTimeouts, type SendResult, type SmtpConnection } from './types.js';
import type { Wire } from './wire.js';

/** What the connection knows of its peer and its security. */
export interface SessionInfo {
  readonly extensions: ReadonlyMap<string, string>;
  readonly peer: SmtpConnection['peer'];
  readonly tls: SmtpConnection['tls'];
  readonly timeouts: ClientTimeouts;
}

/** An SmtpConnection over a Wire. */
export class ClientSession implements SmtpConnection {
  readonly extensions: ReadonlyMap<string, string>;
  readonly peer: SmtpConnection['peer'];
  readonly tls: SmtpConnection['tls'];
  private readonly ctx: TransactionContext;
  private busy = false;
  private closing = false;

  /**
   * Wraps a greeted wire (connect() does this).
   *
   * @example
   * ```ts
   * const conn = new ClientSession(wire, { extensions, peer, tls, timeouts });
   * ```
   */
  constructor(
    private readonly wire: Wire,
    info: SessionInfo,
  ) {
    this.extensions = info.extensions;
    this.peer = info.peer;
    this.tls = info.tls;
    this.ctx = { wire, extensions: info.extensions, timeouts: info.timeouts, needsReset: false };
  }

  get usable(): boolean {
    return !this.closing && this.wire.usable;
  }

  async send(envelope: ClientEnvelope, body: BodySource): Promise<SendResult> {
    if (this.busy) throw new Error('Cannot send: a transaction is already in progress on this connection');
    if (!this.usable) throw new SmtpClientError('network', 'mail', 'Connection is closed', true);
    this.busy = true;
    try {
      return await sendTransaction(this.ctx, envelope, body);
    } finally {
      this.busy = false;
    }
  }

  async quit(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.busy) return this.wire.destroy(); // never QUIT in the middle of a transaction's data
    try {
      if (this.wire.usable) await this.wire.command('QUIT', 'quit', this.ctx.timeouts.command);
    } catch {
      // RFC 5321 §4.1.1.10: the reply to QUIT changes nothing; the connection closes either way.
    } finally {
      this.wire.destroy();
    }
  }

  destroy(): void {
    this.closing = true;
    this.wire.destroy();
  }
}
