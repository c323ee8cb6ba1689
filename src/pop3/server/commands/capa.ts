/**
 * CAPA (RFC 2449 §5): the capabilities of this connection now, in AUTHORIZATION and TRANSACTION alike.
 * USER and SASL appear only where plaintext logins are allowed on this connection (issue 4 §1), in both states
 * (RFC 2449 §5: what is available in AUTHORIZATION is announced in both). STLS appears only before TLS, on the
 * pop3 service with a certificate, in AUTHORIZATION (RFC 2595 §4; issue 4 §1). Only what the server honours is
 * listed: no LOGIN-DELAY (no delay between successful logins is enforced), EXPIRE NEVER (the server never
 * removes a message on its own; RFC 2449 §6.7).
 */
import { passwordMechanisms } from '../../../proto/index.js';
import { syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/**
 * The capability lines for this connection, in the order they are sent.
 *
 * @example
 * ```ts
 * capabilities(c); // ['TOP', 'UIDL', 'USER', 'SASL PLAIN LOGIN', 'RESP-CODES', …, 'IMPLEMENTATION Postroom']
 * ```
 */
export function capabilities(c: Pop3Conn): string[] {
  const caps = ['TOP', 'UIDL'];
  if (c.authAllowed()) caps.push('USER', `SASL ${passwordMechanisms.join(' ')}`);
  caps.push('RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING');
  if (c.stlsOffered()) caps.push('STLS');
  // RFC 6856 §2: UTF8 with the USER argument: UTF-8 user names and passwords are accepted.
  caps.push('UTF8 USER', 'EXPIRE NEVER', 'IMPLEMENTATION Postroom');
  return caps;
}

/** CAPA. */
export function capa(c: Pop3Conn, arg: string): void {
  if (arg.trim() !== '') throw syntax('CAPA takes no arguments');
  c.replyLines('Capability list follows', capabilities(c));
}
