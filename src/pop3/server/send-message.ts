/**
 * Sends a message (RETR) or its top (TOP) as the body of a multi-line response (RFC 1939 §3): byte-stuffed
 * (a "." at a line start is doubled, a missing final CRLF is added) and ended with ".".
 *
 * Guarantees: the message is streamed from the backend with backpressure (Pop3Conn.writeChunk waits for the
 * socket), so a 50 MB message is never in memory. The source is always destroyed at the end. If anything fails
 * after "+OK" was queued, no "-ERR" can follow in the same response: the session ends and the connection is
 * closed without the terminating ".", so the client can never take a truncated message for a whole one, and
 * nothing is committed.
 * Why proto's DotStuffer and not its dotStuff() Transform: a Transform and a pipeline per message cost more than
 * the message itself for the common 4 KiB mail (an AbortController and a DOMException per pipeline).
 */
import type { Readable } from 'node:stream';
import { ConnectionLostError, DotStuffer } from '../../proto/index.js';
import type { Pop3Conn } from './conn.js';
import { cutTop } from './cut-top.js';

/**
 * Ends a response that failed after its "+OK" was queued: logs the cause (unless the client is simply gone) and
 * throws ConnectionLostError. The engine sends nothing for it and ends the session: the socket is ended (FIN, so
 * what was sent still arrives, unlike a reset), with no terminator.
 */
function cutOff(c: Pop3Conn, err: unknown): never {
  if (!(err instanceof ConnectionLostError)) c.log.error({ conn: c.id, err }, 'Sending a message failed');
  throw new ConnectionLostError();
}

/**
 * Queues a message held in memory (at most 64 KiB: RETR of a small message), byte-stuffed and terminated, without
 * waiting: no stream, no await, and the reply joins its pipelined neighbours in one write (the engine writes
 * before reading on once FLUSH_AT, 192 KiB, are queued).
 *
 * @example
 * ```ts
 * c.reply(`${msg.size} octets`);
 * queueWhole(c, [Buffer.from('Subject: x\r\n\r\n.hi\r\n')]); // "..hi" then "."
 * ```
 */
export function queueWhole(c: Pop3Conn, chunks: readonly Buffer[]): void {
  const stuffer = new DotStuffer();
  for (const chunk of chunks) c.queue(stuffer.push(chunk));
  c.queue(stuffer.end());
}

/**
 * Streams `src` byte-stuffed and terminated; with `top`, only the header and `top.lines` body lines.
 *
 * @example
 * ```ts
 * c.reply(`${msg.size} octets`);
 * await sendMessage(c, await maildrop.open(msg.uid));
 * ```
 */
export async function sendMessage(c: Pop3Conn, src: Readable, top?: { lines: number; bodyOffset?: number }): Promise<void> {
  const stuffer = new DotStuffer();
  try {
    // Leaving the loop early (an error, TOP's cut) ends the iterator, which destroys the source.
    for await (const chunk of top ? cutTop(src, top.lines, top.bodyOffset) : (src as AsyncIterable<Buffer>)) {
      await c.writeChunk(stuffer.push(chunk));
    }
    await c.writeChunk(stuffer.end());
  } catch (err) {
    cutOff(c, err);
  } finally {
    src.destroy();
  }
}
