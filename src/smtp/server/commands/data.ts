/**
 * DATA (RFC 5321 §4.1.1.4): 354, then the dot-stuffed body streamed to `session.data()` as it arrives.
 *
 * Guarantees: only <CRLF>.<CRLF> ends the body (proto/dot-body.ts: no SMTP smuggling); the body is always read
 * to that end before the reply, whatever happened, so the next command is read in step. The reply is 552 5.3.4
 * over the size limit, 550 5.6.0 for bare CR or LF (unless the server normalizes them), the backend's error, or
 * 250 only once `session.data()` resolved (the message is durable). A refused body's stream fails, so the backend
 * keeps nothing. DATA must be the last command of a pipelined group (RFC 2920 §3.1): the engine refuses content
 * sent before 354.
 */
import { bareNewline, syntax } from '../../reply.js';
import type { SmtpConn } from '../conn.js';
import { Transfer } from '../transfer.js';

/** DATA. */
export async function data(c: SmtpConn, arg: string): Promise<void> {
  if (arg.trim() !== '') throw syntax('DATA takes no arguments');
  const tx = c.tx!;
  c.reply(354, null, 'End data with <CR><LF>.<CR><LF>');
  await c.flush();
  const normalize = c.ctx.bareNewline === 'normalize';
  const body = c.reader.dotBody({ normalize });
  const transfer = new Transfer(c.session!, tx.opts, c.ctx.limits.maxMessageBytes);
  try {
    for (let chunk; (chunk = await body.read()) !== null; ) {
      // RFC 5321 §2.3.8: refuse now (the backend's stream fails), answer after the real end of data.
      if (body.bareNewline && !normalize) transfer.refuse(bareNewline());
      await transfer.write(chunk);
    }
  } catch (err) {
    await transfer.abort(err instanceof Error ? err : new Error('Body not received'));
    await c.abortTransaction();
    throw err;
  }
  await c.finishTransaction(transfer);
}
