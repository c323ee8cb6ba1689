/**
 * The SMTP session states, which of them are a mail transaction, and the text of 503 5.5.1 for a command sent in
 * the wrong state: what the client should have done first (RFC 5321 §4.3.2 for the order of commands, RFC 3030
 * §2 for BDAT, RFC 4954 §4 for AUTH).
 */
import { badSequence, type SmtpError } from '../reply.js';

/** The SMTP session states. 'bdat' is a transaction whose body is arriving in BDAT chunks. */
export type SmtpState = 'connected' | 'greeted' | 'mail' | 'rcpt' | 'bdat';

/**
 * True between MAIL and the end of the body.
 *
 * @example
 * ```ts
 * inTransaction('rcpt') && !inTransaction('greeted');
 * ```
 */
export function inTransaction(state: SmtpState): boolean {
  return state === 'mail' || state === 'rcpt' || state === 'bdat';
}

/**
 * The 503 reply for `verb` refused in `state`.
 *
 * @example
 * ```ts
 * outOfSequence('RCPT', 'greeted').message === 'Bad sequence of commands: send MAIL first';
 * ```
 */
export function outOfSequence(verb: string, state: SmtpState): SmtpError {
  if (state === 'connected') return badSequence('send EHLO or HELO first');
  switch (verb) {
    case 'MAIL':
      return badSequence(state === 'bdat' ? 'finish the BDAT transfer or send RSET' : 'nested MAIL command');
    case 'RCPT':
      return badSequence(state === 'greeted' ? 'send MAIL first' : 'RCPT after BDAT');
    case 'DATA':
      return badSequence(state === 'greeted' ? 'send MAIL first' : state === 'mail' ? 'send RCPT first' : 'DATA after BDAT in one transaction');
    case 'BDAT':
      return badSequence(state === 'greeted' ? 'send MAIL first' : 'send RCPT first');
    case 'AUTH':
    case 'STARTTLS':
      return badSequence(inTransaction(state) ? `${verb} not allowed during a mail transaction` : 'send EHLO first');
    default:
      return badSequence(verb);
  }
}
