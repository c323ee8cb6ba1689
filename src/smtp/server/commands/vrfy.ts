/**
 * VRFY (RFC 5321 §3.5.3, §4.1.1.6): always 252, "cannot verify, will try to deliver", so the command can never
 * be used to enumerate users (RFC 5321 §7.3).
 */
import { syntax } from '../../reply.js';
import type { SmtpConn } from '../conn.js';

/** VRFY string. */
export function vrfy(c: SmtpConn, arg: string): void {
  if (arg.trim() === '') throw syntax('VRFY requires a user name or address');
  c.reply(252, [0, 0], 'Cannot VRFY user, but will accept message and attempt delivery');
}
