/** NOOP (RFC 5321 §4.1.1.9): 250; any argument is ignored, as the RFC says. */
import type { SmtpConn } from '../conn.js';

/** NOOP [string]. */
export function noop(c: SmtpConn): void {
  c.reply(250, [0, 0], 'OK');
}
