/**
 * RETR msg (RFC 1939 §5): "+OK N octets" (N from the snapshot), then the message byte-stuffed and streamed
 * (see send-message.ts). RETR never changes anything: the original stays in the maildrop.
 */
import type { Pop3Conn } from '../conn.js';
import { sendChunks, sendMessage } from '../send-message.js';

/** RETR msg. */
export async function retr(c: Pop3Conn, arg: string): Promise<void> {
  const { msg } = c.message(arg);
  const drop = c.maildrop!;
  // A small message comes whole (no stream); a large one, or a backend without `read`, streams. A failure here can
  // still be answered with -ERR: nothing of the response is queued yet.
  const whole = drop.read ? await drop.read(msg.uid) : undefined;
  const src = whole ? null : await drop.open(msg.uid);
  c.reply(`${msg.size} octets`);
  if (src) await sendMessage(c, src);
  else await sendChunks(c, whole!);
}
