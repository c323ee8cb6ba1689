/**
 * The LOGIN mechanism (draft-murchison-sasl-login-00, obsolete but what Outlook and many devices send): the
 * server asks "Username:" then "Password:"; a user name sent as the initial response skips the first question.
 */
import { saslField, type SaslChannel, type SaslCredentials } from './channel.js';

const USERNAME = Buffer.from('Username:');
const PASSWORD = Buffer.from('Password:');

/**
 * Runs LOGIN over a channel.
 *
 * @example
 * ```ts
 * const { user, password } = await readLogin(sasl); // 334 VXNlcm5hbWU6 … 334 UGFzc3dvcmQ6 …
 * ```
 */
export async function readLogin(ch: SaslChannel): Promise<SaslCredentials> {
  const userBytes = ch.initial && ch.initial.length > 0 ? ch.initial : await ch.challenge(USERNAME);
  const user = saslField(userBytes, 'user name');
  const password = saslField(await ch.challenge(PASSWORD), 'password');
  return { authzid: '', user, password };
}
