/**
 * RETR msg (RFC 1939 §5): "+OK N octets" (N from the snapshot), then the message byte-stuffed and streamed
 * (see send-message.ts). RETR never changes anything: the original stays in the maildrop.
 */
import type { Pop3Conn } from '../conn.js';
import type { Pop3Message } from '../backend.js';
import { queueWhole, sendMessage } from '../send-message.js';

/**
 * RETR msg. Synchronous when the maildrop has the message in memory already (read ahead): a pipelined run of
 * RETRs is then answered without a turn of the event loop per message.
 */
export function retr(c: Pop3Conn, arg: string): Promise<void> | undefined {
  const { n, msg } = c.message(arg);
  const ready = c.maildrop!.readReady?.(msg.uid, n - 1);
  if (!ready) return retrWaiting(c, msg, n - 1);
  c.reply(`${msg.size} octets`);
  queueWhole(c, ready);
  return undefined;
}

/** RETR of a message not in memory: read whole when small, else streamed. */
async function retrWaiting(c: Pop3Conn, msg: Pop3Message, at: number): Promise<void> {
  const drop = c.maildrop!;
  // A small message comes whole (no stream); a large one, or a backend without `read`, streams. A failure here can
  // still be answered with -ERR: nothing of the response is queued yet.
  const whole = drop.read ? await drop.read(msg.uid, at) : undefined;
  const src = whole ? null : await drop.open(msg.uid);
  c.reply(`${msg.size} octets`);
  if (src) await sendMessage(c, src);
  else queueWhole(c, whole!);
}
