/**
 * PASS string (RFC 1939 §7): completes USER. The whole rest of the line is the password, spaces included
 * (RFC 1939 §7: "the server may treat spaces in the argument as part of the password"). A PASS without a
 * USER just before it is refused; USER must be sent again after any PASS.
 */
import { badSequence, plaintextRefused, syntax } from '../../reply.js';
import type { Pop3Conn } from '../conn.js';
import { login } from '../login.js';

/** PASS string. */
export async function pass(c: Pop3Conn, arg: string): Promise<void> {
  if (!c.authAllowed()) throw plaintextRefused(c.stlsOffered());
  const name = c.pendingUser;
  c.pendingUser = null;
  if (name === null) throw badSequence('Send USER first');
  if (arg === '') throw syntax('PASS needs a password');
  await login(c, 'USER', () => c.ctx.backend.login(name, arg, c.info));
}
