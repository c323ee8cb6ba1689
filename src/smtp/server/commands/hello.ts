/**
 * What EHLO and HELO share (RFC 5321 §4.1.1.1): check the client's name, abandon any transaction, start the
 * backend session (or reset it on a repeated greeting), and move to 'greeted'.
 */
import { syntax } from '../../reply.js';
import type { SmtpConn } from '../conn.js';

/**
 * Starts (or restarts) the session for EHLO/HELO `arg`.
 * The name is taken leniently, as Postfix does by default: any printable ASCII word (clients send bare host
 * names, "[127.0.0.1]", or worse); anything after it is ignored.
 */
export async function hello(c: SmtpConn, verb: 'EHLO' | 'HELO', arg: string): Promise<void> {
  const name = arg.trim().split(/ +/)[0] ?? '';
  if (name === '') throw syntax(`${verb} requires a domain or address literal`);
  if (!/^[\x21-\x7e]{1,255}$/.test(name)) throw syntax(`invalid ${verb} domain`);
  await c.abortTransaction();
  const previous = c.info.helo;
  c.info.helo = name;
  if (c.session) {
    // RFC 5321 §4.1.4: a repeated EHLO resets the transaction as RSET does.
    await c.session.reset();
    c.needsReset = false;
  } else {
    try {
      c.session = await c.ctx.backend.newSession(c.info);
    } catch (err) {
      c.info.helo = previous;
      throw err;
    }
  }
  c.state = 'greeted';
}
