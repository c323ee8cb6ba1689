/**
 * UIDL [msg] (RFC 1939 §7): "n uid" for one message, or a multi-line listing of every message not marked
 * deleted. The UIDs are the backend's (unique in the maildrop and stable forever).
 */
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** UIDL [msg]. */
export function uidl(c: Pop3Conn, arg: string): void {
  if (arg.includes(' ')) throw syntax('expected UIDL [message]');
  if (arg !== '') {
    const { n, msg } = c.message(arg);
    c.reply(`${n} ${msg.uid}`);
    return;
  }
  c.replyListing('Unique-ID listing follows', (m) => m.uid);
}
