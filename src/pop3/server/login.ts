/**
 * The one login path of PASS, APOP and AUTH (RFC 1939 §7, RFC 5034): refuses a client that is locked out,
 * calls the backend, and on success enters TRANSACTION with the locked snapshot.
 *
 * A failed login (the backend's [AUTH] error, or a malformed SASL message) counts toward the client's lockout
 * and is answered only after `authFailureDelayMs` (issue 4 §2: slows guessing). The failure that reaches the
 * limit, and any attempt while locked, get -ERR [LOGIN-DELAY] and the connection closes. Other backend errors
 * ([IN-USE], [SYS/TEMP]) pass through as written and are not counted; an error that is not a Pop3Error becomes
 * -ERR [SYS/TEMP] Internal error in the engine (and is logged there).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SaslMalformedError } from '../../proto/index.js';
import { Pop3Error, authFailed, loginDelay } from '../reply.js';
import type { Pop3Maildrop } from './backend.js';
import type { Pop3Conn } from './conn.js';

/**
 * Runs one login attempt.
 *
 * @example
 * ```ts
 * await login(c, 'USER', () => c.ctx.backend.login(name, password, c.info));
 * ```
 */
export async function login(c: Pop3Conn, mech: string, attempt: () => Promise<Pop3Maildrop>): Promise<void> {
  const { throttle, limits } = c.ctx;
  const remote = c.info.remote;
  if (throttle.locked(remote)) throw loginDelay();
  let maildrop: Pop3Maildrop;
  try {
    maildrop = await attempt();
  } catch (err) {
    const failed = err instanceof SaslMalformedError || (err instanceof Pop3Error && err.code === 'AUTH');
    if (!failed) throw err;
    throttle.fail(remote);
    c.log.warn({ conn: c.id, remote, mech }, 'Login failed');
    if (limits.authFailureDelayMs > 0) await sleep(limits.authFailureDelayMs);
    if (throttle.locked(remote)) throw loginDelay();
    throw err instanceof Pop3Error ? err : authFailed();
  }
  c.enterTransaction(maildrop);
  const { count, octets } = c.totals();
  c.log.info({ conn: c.id, user: maildrop.user, mech, messages: count }, 'Logged in');
  c.reply(`Maildrop locked and ready, ${count} messages (${octets} octets)`);
}
