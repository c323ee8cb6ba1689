/** RSET (RFC 5321 §4.1.1.5): abandon the transaction (and any BDAT body), reset the backend session; 250. */
import { syntax } from '../../reply.js';
import type { SmtpConn } from '../conn.js';

/** RSET. */
export async function rset(c: SmtpConn, arg: string): Promise<void> {
  if (arg.trim() !== '') throw syntax('RSET takes no arguments');
  await c.reset();
  c.reply(250, [0, 0], 'OK');
}
