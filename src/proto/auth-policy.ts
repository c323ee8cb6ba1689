/**
 * Where a client may send a password (SMTP AUTH, POP3 USER/PASS and AUTH), shared by both servers: over TLS
 * always; without TLS as the configured policy says (issue 3 §3, issue 4 §1), by default only from a loopback
 * client (RFC 4954 §4 and RFC 2595 §2.4 advise against plaintext passwords on an unprotected connection).
 */
import { isLoopback } from './client-key.js';

/** Where a password is accepted without TLS: 'never', from 'loopback' clients only, or 'always'. */
export type AuthWithoutTls = 'never' | 'loopback' | 'always';

/**
 * Whether a password may be sent on a connection with `conn`'s TLS state and client address.
 *
 * @example
 * ```ts
 * passwordAllowed('loopback', { tls: false, remote: '127.0.0.1' });   // true
 * passwordAllowed('loopback', { tls: false, remote: '192.0.2.1' });   // false
 * passwordAllowed('never', { tls: true, remote: '192.0.2.1' });       // true: over TLS
 * ```
 */
export function passwordAllowed(policy: AuthWithoutTls, conn: { readonly tls: boolean; readonly remote: string }): boolean {
  return conn.tls || policy === 'always' || (policy === 'loopback' && isLoopback(conn.remote));
}
