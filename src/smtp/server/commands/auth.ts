/**
 * AUTH mechanism [initial-response] (RFC 4954): runs the SASL exchange the backend's session drives, with
 * base64 on the wire decoded strictly and lines up to `maxAuthLineBytes` (proto/sasl-wire.ts).
 *
 * Refusals: already authenticated or in a transaction 503 5.5.1, no AUTH in this session 502 5.5.1, unknown
 * mechanism 504 5.5.4, no TLS where TLS is required 538 5.7.11, a client locked out 454 4.7.0, invalid base64
 * 501 5.5.2, cancelled with "*" 501 5.7.0, bad credentials 535 5.7.8. Each failure (535, or a malformed SASL
 * message) counts toward the client's lockout (10 in 15 minutes by default) and is answered only after
 * `authFailureDelayMs` (2 s by default).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SaslMalformedError, saslChannel } from '../../../proto/index.js';
import {
  SmtpError,
  authCancelled,
  authFailed,
  authTemporary,
  badBase64,
  badSequence,
  encryptionRequired,
  commandUnavailable,
  formatReply,
  syntax,
  unknownMechanism,
} from '../../reply.js';
import { isAuthSession } from '../backend.js';
import type { SmtpConn } from '../conn.js';

// RFC 4954 §4: a challenge is "334 " and base64, without an enhanced status code.
const challenge = (base64: string): string => formatReply(334, null, base64);

/** AUTH mechanism [initial-response]. */
export async function auth(c: SmtpConn, arg: string): Promise<void> {
  if (c.info.user) throw badSequence('already authenticated'); // RFC 4954 §4
  const session = c.session!;
  if (!isAuthSession(session)) throw commandUnavailable('AUTH not available');
  const [mechText = '', initialText, extra] = arg.split(' ');
  if (mechText === '' || extra !== undefined) throw syntax('expected AUTH mechanism [initial-response]');
  const mech = mechText.toUpperCase();
  if (!session.mechanisms().some((m) => m.toUpperCase() === mech)) throw unknownMechanism();
  if (!c.authAllowed()) throw encryptionRequired();
  const remote = c.info.remote;
  if (c.ctx.throttle.locked(remote)) throw authTemporary('Too many authentication failures, try again later');
  // RFC 4954 §4: "=" is an empty initial response.
  const sasl = saslChannel(c, initialText, { challenge, cancelled: authCancelled, badBase64, maxLineBytes: c.ctx.limits.maxAuthLineBytes });
  let user: string;
  try {
    user = await session.authenticate(mech, sasl);
  } catch (err) {
    const failed = err instanceof SaslMalformedError || (err instanceof SmtpError && err.code === 535);
    if (!failed) throw err;
    c.ctx.throttle.fail(remote);
    c.log.warn({ conn: c.id, remote, mech }, 'Authentication failed');
    if (c.ctx.limits.authFailureDelayMs > 0) await sleep(c.ctx.limits.authFailureDelayMs);
    throw err instanceof SmtpError ? err : authFailed();
  }
  c.info.user = user;
  c.log.info({ conn: c.id, user, mech }, 'Authenticated');
  c.reply(235, [7, 0], 'Authentication successful');
}
