/**
 * TOP msg n (RFC 1939 §7): the header, the blank line, and the first n body lines, byte-stuffed. With the
 * snapshot's `bodyOffset` (the stored part index) and n = 0, only the header's byte range is read; otherwise the
 * message is read from its start and the stream is destroyed as soon as the cut is complete (cut-top.ts).
 */
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';
import { sendMessage } from '../send-message.js';

/** TOP msg n. */
export async function top(c: Pop3Conn, arg: string): Promise<void> {
  const [msgText = '', linesText, extra] = arg.split(' ');
  if (linesText === undefined || extra !== undefined) throw syntax('expected TOP message lines');
  const { msg } = c.message(msgText);
  if (!/^\d+$/.test(linesText)) throw syntax('the line count must be a non-negative number');
  const lines = Math.min(Number(linesText), Number.MAX_SAFE_INTEGER);
  // A bodyOffset outside the message is not trusted: the header is found by scanning instead.
  const known = msg.bodyOffset !== undefined && Number.isSafeInteger(msg.bodyOffset) && msg.bodyOffset >= 0 && msg.bodyOffset <= msg.size;
  const md = c.maildrop!;
  const src = known && lines === 0 ? await md.open(msg.uid, { start: 0, end: msg.bodyOffset! }) : await md.open(msg.uid);
  c.reply('Top of message follows');
  await sendMessage(c, src, known ? { lines, bodyOffset: msg.bodyOffset! } : { lines });
}
