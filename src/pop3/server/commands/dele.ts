/**
 * DELE msg (RFC 1939 §5): marks the message deleted. Nothing is removed before QUIT commits (RFC 1939 §6); the
 * message keeps its number, and vanishes from STAT, LIST and UIDL for the rest of the session.
 */
import type { Pop3Conn } from '../conn.js';

/** DELE msg. */
export function dele(c: Pop3Conn, arg: string): void {
  const { n } = c.message(arg);
  c.deleted.add(n);
  c.reply(`Message ${n} deleted`);
}
