/**
 * SMTP replies as errors (RFC 5321 §4.2, enhanced status codes RFC 3463 / RFC 2034).
 *
 * Guarantee: the class digit of the enhanced status code always comes from the reply code, so a 451 can never
 * carry 5.x.x (STYLE.md §4).
 */
import { ProtocolError } from '../proto/errors.js';

/** X.subject.detail without the class digit (RFC 3463 §2). */
export type Status = readonly [subject: number, detail: number];

/** An SMTP reply that ends a command with a failure (or, with `closeConnection`, a 421). */
export class SmtpError extends ProtocolError {
  override name = 'SmtpError';
  constructor(
    readonly code: number,
    readonly status: Status | null,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  /** The enhanced status code, its class taken from `code`. */
  get enhanced(): string | null {
    return this.status && `${Math.trunc(this.code / 100)}.${this.status.join('.')}`;
  }
  get temporary(): boolean {
    return Math.trunc(this.code / 100) === 4;
  }
}
