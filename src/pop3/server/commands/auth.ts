/**
 * AUTH [mechanism [initial-response]] (RFC 5034): SASL PLAIN and LOGIN through proto's decoders. Challenges are
 * "+ base64"; a response is strict base64 (proto/base64-strict.ts) or "*" to cancel; "=" as the initial response
 * is an empty one (RFC 5034 §4). Response lines may be up to `maxAuthLineBytes`.
 * `AUTH` alone lists the mechanisms as a multi-line reply: not in RFC 5034, but clients (Outlook, Thunderbird's
 * probe) send it, and servers answer it so.
 * Refusals: without TLS where policy forbids plaintext logins [AUTH], unknown mechanism, locked out
 * [LOGIN-DELAY] (closing), bad base64, cancelled, bad credentials [AUTH] (delayed and counted, see login.ts).
 * An authorization identity other than the user is refused as a failed login (no proxy logins).
 */
import { passwordMechanisms, readCredentials, saslChannel } from '../../../proto/index.js';
import { authCancelled, authFailed, badBase64, loginDelay, plaintextRefused, syntax, unknownMechanism } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';
import { login } from '../login.js';

/** AUTH [mechanism [initial-response]]. */
export async function auth(c: Pop3Conn, arg: string): Promise<void> {
  if (!c.authAllowed()) throw plaintextRefused(c.stlsOffered());
  if (arg === '') {
    c.replyLines('Supported mechanisms follow', passwordMechanisms);
    return;
  }
  const [mechText = '', initialText, extra] = arg.split(' ');
  if (mechText === '' || extra !== undefined) throw syntax('expected AUTH mechanism [initial-response]');
  const mech = mechText.toUpperCase();
  if (!passwordMechanisms.includes(mech)) throw unknownMechanism();
  if (c.ctx.throttle.locked(c.info.remote)) throw loginDelay(); // before any challenge
  // RFC 5034 §4: "+ " challenges; a malformed initial response is refused here, before any challenge.
  const sasl = saslChannel(c, initialText, {
    challenge: (b64) => `+ ${b64}\r\n`,
    cancelled: authCancelled,
    badBase64,
    maxLineBytes: c.ctx.limits.maxAuthLineBytes,
  });
  c.pendingUser = null;
  await login(c, mech, async () => {
    const { authzid, user, password } = await readCredentials(mech, sasl);
    if (authzid !== '' && authzid !== user) throw authFailed();
    return c.ctx.backend.login(user, password, c.info);
  });
}
