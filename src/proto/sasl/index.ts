/**
 * SASL mechanism decoders shared by the SMTP (RFC 4954) and POP3 (RFC 5034) servers. They turn an exchange into
 * credentials; checking the credentials is the backend's job.
 */
import type { SaslChannel, SaslCredentials } from './channel.js';
import { SaslMalformedError } from './channel.js';
import { readLogin } from './login.js';
import { readPlain } from './plain.js';

export { SaslMalformedError, maxSaslFieldBytes, type SaslChannel, type SaslCredentials } from './channel.js';
export { decodePlain, readPlain } from './plain.js';
export { readLogin } from './login.js';

/** The password mechanisms this module decodes. */
export const passwordMechanisms: readonly string[] = Object.freeze(['PLAIN', 'LOGIN']);

/**
 * Runs a password mechanism by name (case-insensitive).
 *
 * @example
 * ```ts
 * async authenticate(mech, sasl) {
 *   const { user, password } = await readCredentials(mech, sasl);
 *   if (!(await users.verify(user, password))) throw authFailed();
 *   return user;
 * }
 * ```
 */
export function readCredentials(mech: string, ch: SaslChannel): Promise<SaslCredentials> {
  switch (mech.toUpperCase()) {
    case 'PLAIN':
      return readPlain(ch);
    case 'LOGIN':
      return readLogin(ch);
    default:
      return Promise.reject(new SaslMalformedError(`Unsupported mechanism ${mech}`));
  }
}
