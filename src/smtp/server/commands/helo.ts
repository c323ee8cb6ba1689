/** HELO (RFC 5321 §4.1.1.1): the old greeting, without extensions. RFC 2034 §3: no enhanced status code. */
import type { SmtpConn } from '../conn.js';
import { hello } from './hello.js';

/** HELO domain. */
export async function helo(c: SmtpConn, arg: string): Promise<void> {
  await hello(c, 'HELO', arg);
  c.reply(250, null, c.ctx.hostname);
}
