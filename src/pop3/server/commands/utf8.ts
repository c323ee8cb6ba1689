/**
 * UTF8 (RFC 6856 §2): enables UTF-8 mode. Nothing else changes: user names and passwords are accepted in UTF-8
 * anyway (CAPA says UTF8 USER), and messages are sent as stored, 8-bit included, so no downgrade is ever needed.
 */
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** UTF8. */
export function utf8(c: Pop3Conn, arg: string): void {
  if (arg.trim() !== '') throw syntax('UTF8 takes no arguments');
  c.utf8 = true;
  c.reply('UTF8 enabled');
}
