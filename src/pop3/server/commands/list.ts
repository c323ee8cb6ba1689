/**
 * LIST [msg] (RFC 1939 §5): "n size" for one message, or a multi-line scan listing of every message not marked
 * deleted. Sizes are the snapshot's (the octets sent by RETR before byte-stuffing), never recomputed.
 */
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** LIST [msg]. */
export function list(c: Pop3Conn, arg: string): void {
  if (arg.includes(' ')) throw syntax('expected LIST [message]');
  if (arg !== '') {
    const { n, msg } = c.message(arg);
    c.reply(`${n} ${msg.size}`);
    return;
  }
  const { count, octets } = c.totals();
  c.replyListing(`${count} messages (${octets} octets)`, (m) => m.size);
}
