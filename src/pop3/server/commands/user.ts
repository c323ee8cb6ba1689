/**
 * USER name (RFC 1939 §7): remembers the name for PASS. The reply never says whether the name exists (no user
 * enumeration); PASS does the check. Refused without TLS where policy forbids plaintext logins (issue 4 §1),
 * and with [LOGIN-DELAY] (closing) while the client is locked out after failed logins.
 */
import { loginDelay, plaintextRefused, syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';

/** USER name. */
export function user(c: Pop3Conn, arg: string): void {
  if (!c.authAllowed()) throw plaintextRefused(c.stlsOffered());
  if (arg.trim() === '') throw syntax('USER needs a name');
  if (c.ctx.throttle.locked(c.info.remote)) throw loginDelay();
  c.pendingUser = arg;
  c.reply('Send PASS');
}
