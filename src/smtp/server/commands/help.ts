/** HELP (RFC 5321 §4.1.1.8): 214 with the commands this server knows. */
import type { SmtpConn } from '../conn.js';

/** HELP [string]. */
export function help(c: SmtpConn): void {
  c.reply(214, [0, 0], ['Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH', 'See RFC 5321']);
}
