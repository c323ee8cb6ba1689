/** NOOP (RFC 1939 §5): +OK, nothing else. */
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** NOOP. */
export function noop(c: Pop3Conn, arg: string): void {
  if (arg.trim() !== '') throw syntax('NOOP takes no arguments');
  c.reply('');
}
