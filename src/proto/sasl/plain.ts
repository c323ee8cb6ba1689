/**
 * The PLAIN mechanism (RFC 4616): one message `[authzid] NUL authcid NUL passwd`, sent as the initial response
 * or after an empty challenge (RFC 4954 §4). Each field is UTF-8 without NUL; authcid and passwd are not empty.
 */
import { SaslMalformedError, saslField, type SaslChannel, type SaslCredentials } from './channel.js';

/**
 * Decodes a PLAIN message.
 *
 * @example
 * ```ts
 * decodePlain(Buffer.from('\0alice\0secret')); // { authzid: '', user: 'alice', password: 'secret' }
 * ```
 */
export function decodePlain(msg: Buffer): SaslCredentials {
  const a = msg.indexOf(0);
  const b = a < 0 ? -1 : msg.indexOf(0, a + 1);
  if (a < 0 || b < 0) throw new SaslMalformedError('PLAIN message without two NUL separators');
  return {
    authzid: saslField(msg.subarray(0, a), 'authorization identity', true),
    user: saslField(msg.subarray(a + 1, b), 'authentication identity'),
    password: saslField(msg.subarray(b + 1), 'password'),
  };
}

/**
 * Runs PLAIN over a channel: uses the initial response, or sends an empty challenge for it.
 *
 * @example
 * ```ts
 * const { user, password } = await readPlain(sasl);
 * ```
 */
export async function readPlain(ch: SaslChannel): Promise<SaslCredentials> {
  const msg = ch.initial ?? (await ch.challenge(Buffer.alloc(0)));
  return decodePlain(msg);
}
