/**
 * APOP name digest (RFC 1939 §7): the digest is the MD5 of the greeting's timestamp and the user's APOP secret;
 * the backend checks it. Only when the server has APOP on (the greeting then carries a timestamp). Not refused
 * without TLS: no password crosses the wire (it is still weaker than TLS with PASS).
 */
import { commandUnavailable, syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';
import { login } from '../login.js';

/** APOP name digest. */
export async function apop(c: Pop3Conn, arg: string): Promise<void> {
  const timestamp = c.timestamp;
  if (!timestamp) throw commandUnavailable('APOP not available');
  const m = /^(\S+) ([0-9a-fA-F]{32})$/.exec(arg);
  if (!m) throw syntax('APOP needs a name and a 32-digit hex digest');
  const [, name = '', digest = ''] = m;
  c.pendingUser = null;
  await login(c, 'APOP', () => c.ctx.backend.apop(name, timestamp, digest.toLowerCase(), c.info));
}
