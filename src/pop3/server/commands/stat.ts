/** STAT (RFC 1939 §5): exactly "+OK count octets" of the messages not marked deleted, nothing after. */
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** STAT. */
export function stat(c: Pop3Conn, arg: string): void {
  if (arg.trim() !== '') throw syntax('STAT takes no arguments');
  const { count, octets } = c.totals();
  c.reply(`${count} ${octets}`);
}
