/**
 * RETR msg (RFC 1939 §5): "+OK N octets" (N from the snapshot), then the message byte-stuffed and streamed
 * (see send-message.ts). RETR never changes anything: the original stays in the maildrop.
 */
import type { Pop3Conn } from '../conn.js';
import { sendMessage } from '../send-message.js';

/** RETR msg. */
export async function retr(c: Pop3Conn, arg: string): Promise<void> {
  const { msg } = c.message(arg);
  const src = await c.maildrop!.open(msg.uid); // a failure here can still be answered with -ERR
  c.reply(`${msg.size} octets`);
  await sendMessage(c, src);
}
