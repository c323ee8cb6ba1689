/**
 * MAIL FROM:<reverse-path> [parameters] (RFC 5321 §4.1.1.2) with SIZE, BODY, SMTPUTF8, RET, ENVID and AUTH.
 * Refusals, in order: AUTH required on submission (530 5.7.0), malformed path (501 5.1.7), malformed or unknown
 * parameters (501 5.5.4 / 555 5.5.4), SIZE over the limit (552 5.3.4), a non-ASCII sender without SMTPUTF8
 * (553 5.6.7), not enough disk space (452 4.3.1), then the backend's own refusal.
 */
import { PathError, hasNonAscii, splitPath } from '../../path.js';
import { parseMailParams } from '../../params.js';
import { authRequired, badSender, insufficientStorage, syntax, utf8Required } from '../../reply.js';
import type { SmtpConn } from '../conn.js';

/** MAIL FROM:<address> [params]. */
export async function mail(c: SmtpConn, arg: string): Promise<void> {
  if (c.ctx.requireAuth && !c.info.user) throw authRequired();
  if (!/^FROM:/i.test(arg)) throw syntax('expected MAIL FROM:<address>');
  let path;
  try {
    path = splitPath(arg, 'FROM', { utf8: true, allowNull: true });
  } catch (err) {
    throw err instanceof PathError ? badSender(err.message) : err;
  }
  const opts = parseMailParams(path.rest, c.ctx.limits);
  if (!opts.smtputf8 && hasNonAscii(path.mailbox)) throw utf8Required();
  if (!(await c.ctx.hasSpaceFor(opts.size ?? 0))) throw insufficientStorage();
  const session = c.session!;
  if (c.needsReset) await session.reset();
  c.needsReset = true;
  await session.mail(path.mailbox, opts);
  c.tx = { from: path.mailbox, opts, rcpts: 0, bdat: null };
  c.state = 'mail';
  c.reply(250, [1, 0], 'Sender OK');
}
