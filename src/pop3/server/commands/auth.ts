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
import { ConnectionLostError, decodeBase64Strict, passwordMechanisms, readCredentials, type SaslChannel } from '../../../proto/index.js';
import { authCancelled, authFailed, badBase64, loginDelay, plaintextRefused, syntax, unknownMechanism } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';
import { login } from '../login.js';

/** Decodes a client response line: "*" cancels, anything else must be strict base64. */
function decodeResponse(text: string): Buffer {
  if (text === '*') throw authCancelled();
  const bytes = decodeBase64Strict(text);
  if (!bytes) throw badBase64();
  return bytes;
}

/** The SASL channel: "+ " challenges (RFC 5034 §4), decoded responses. */
function channel(c: Pop3Conn, initial: Buffer | null): SaslChannel {
  return {
    initial,
    async challenge(data: Buffer): Promise<Buffer> {
      c.queue(`+ ${data.toString('base64')}\r\n`);
      await c.flush();
      const line = await c.reader.readLine(c.ctx.limits.maxAuthLineBytes);
      if (line === null) throw new ConnectionLostError();
      return decodeResponse(line.toString('latin1'));
    },
  };
}

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
  const initial = initialText === undefined ? null : initialText === '=' ? Buffer.alloc(0) : decodeResponse(initialText);
  c.pendingUser = null;
  await login(c, mech, async () => {
    const { authzid, user, password } = await readCredentials(mech, channel(c, initial));
    if (authzid !== '' && authzid !== user) throw authFailed();
    return c.ctx.backend.login(user, password, c.info);
  });
}
