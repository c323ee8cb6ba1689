/**
 * RCPT TO:<forward-path> [parameters] (RFC 5321 §4.1.1.3) with NOTIFY and ORCPT (RFC 3461). Refusals: over
 * the recipient limit (452 4.5.3, RFC 5321 §4.5.3.1.10), malformed path (501 5.1.3), malformed or unknown
 * parameters (501 / 555 5.5.4), a non-ASCII recipient in a transaction without SMTPUTF8 (553 5.6.7), then the
 * backend's policy (550 5.1.1, 554 5.7.1 …). "Postmaster" without a domain is accepted (RFC 5321 §4.5.1).
 */
import { PathError, hasNonAscii, splitPath } from '../../path.js';
import { parseRcptParams } from '../../params.js';
import { badRecipient, syntax, tooManyRecipients, utf8Required } from '../../reply.js';
import type { SmtpConn } from '../conn.js';

/** RCPT TO:<address> [params]. */
export async function rcpt(c: SmtpConn, arg: string): Promise<void> {
  const tx = c.tx!;
  if (!/^TO:/i.test(arg)) throw syntax('expected RCPT TO:<address>');
  if (tx.rcpts >= c.ctx.limits.maxRecipients) throw tooManyRecipients();
  let path;
  try {
    path = splitPath(arg, 'TO', { utf8: true, allowPostmaster: true });
  } catch (err) {
    throw err instanceof PathError ? badRecipient(err.message) : err;
  }
  if (!tx.opts.smtputf8 && hasNonAscii(path.mailbox)) throw utf8Required();
  const opts = parseRcptParams(path.rest);
  await c.session!.rcpt(path.mailbox, opts);
  tx.rcpts++;
  c.state = 'rcpt';
  c.reply(250, [1, 5], 'Recipient OK');
}
