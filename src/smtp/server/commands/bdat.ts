/**
 * BDAT size [LAST] (RFC 3030 §2): the body in counted chunks, fed to the same kind of stream as DATA's.
 *
 * The chunk that follows the command is always consumed, even when the command is refused (wrong state, see
 * `discardChunk`), so chunk bytes are never read as commands; a size that cannot be parsed leaves no way to find
 * the next command, so the connection is closed. Each chunk gets 250 when received; LAST gets 250 only once
 * `session.data()` resolved. Over the size limit: 552 5.3.4 at the chunk that exceeds it (a chunk announced larger
 * than the whole limit closes the connection without being read). Bare CR or LF: 550 5.6.0 at LAST.
 * After a refused chunk the transaction is over; further BDAT commands get 503 until MAIL.
 */
import { LineEndScanner } from '../../../proto/index.js';
import { bareNewline, closing, syntax, tooBig } from '../../reply.js';
import type { SmtpConn } from '../conn.js';
import { Transfer } from '../transfer.js';

/** Parses "size [LAST]"; an unparsable argument closes the connection (the chunk's end is unknown). */
function parseBdat(c: SmtpConn, arg: string): { size: number; last: boolean } {
  const m = /^(\d{1,15})(?: +(LAST))? *$/i.exec(arg);
  if (!m) throw closing(syntax('expected BDAT size [LAST]'));
  const size = Number(m[1]);
  if (size > c.ctx.limits.maxMessageBytes) throw closing(tooBig());
  return { size, last: m[2] !== undefined };
}

/** Consumes the chunk of a refused BDAT (CommandSpec.refused). */
export async function discardChunk(c: SmtpConn, arg: string): Promise<void> {
  const { size } = parseBdat(c, arg);
  await c.reader.take(size).finish();
}

/** BDAT size [LAST]. */
export async function bdat(c: SmtpConn, arg: string): Promise<void> {
  const { size, last } = parseBdat(c, arg);
  const tx = c.tx!;
  const normalize = c.ctx.bareNewline === 'normalize';
  const chunk = c.reader.take(size);
  if (!tx.bdat) {
    tx.bdat = { transfer: new Transfer(c.session!, tx.opts, c.ctx.limits.maxMessageBytes), scanner: new LineEndScanner(normalize) };
    c.state = 'bdat';
  }
  const { transfer, scanner } = tx.bdat;
  try {
    for (let b; (b = await chunk.read()) !== null; ) {
      const out = scanner.push(b);
      if (scanner.bareNewline && !normalize) transfer.refuse(bareNewline());
      await transfer.write(out);
    }
  } catch (err) {
    await c.abortTransaction();
    throw err;
  }
  if (!last) {
    if (transfer.overflowed) {
      await c.abortTransaction();
      throw tooBig();
    }
    c.reply(250, [0, 0], `${size} octets received`);
    return;
  }
  const tail = scanner.end();
  if (scanner.bareNewline && !normalize) transfer.refuse(bareNewline());
  else if (tail.length > 0) await transfer.write(tail);
  await c.finishTransaction(transfer);
}
