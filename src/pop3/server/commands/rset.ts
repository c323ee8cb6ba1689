/** RSET (RFC 1939 §5): unmarks every message marked deleted in this session. */
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** RSET. */
export function rset(c: Pop3Conn, arg: string): void {
  if (arg.trim() !== '') throw syntax('RSET takes no arguments');
  c.deleted.clear();
  const { count, octets } = c.totals();
  c.reply(`Maildrop has ${count} messages (${octets} octets)`);
}
