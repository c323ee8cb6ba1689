/** QUIT (RFC 5321 §4.1.1.10): 221, then the server closes the connection (the seed's "211" was a typo). */
import type { SmtpConn } from '../conn.js';

/** QUIT. */
export function quit(c: SmtpConn): void {
  c.reply(221, [0, 0], `${c.ctx.hostname} Service closing transmission channel`);
  c.closing = true;
}
