/**
 * The Pop3Backend over the store (issue 4, STYLE.md §5): authenticates a user, locks their INBOX and takes the
 * session's snapshot (maildrop.ts).
 *
 * - USER/PASS and SASL PLAIN/LOGIN (`login`): the user is found as SMTP AUTH finds them (mta's resolver: the
 *   address as normalized, then lower-cased), and the password is checked against the stored scrypt hash.
 * - APOP (`apop`, RFC 1939 §7): MD5 of the greeting's timestamp followed by the user's APOP secret, compared in
 *   constant time. A user without a secret cannot use APOP.
 * - Then the INBOX is locked (RFC 1939 §8: one session per maildrop; another session → `-ERR [IN-USE]`, RFC 2449
 *   §8.1.1) and listed: uid, size (CRLF octets, stored at delivery) and the body offset from the part index.
 *
 * Guarantees: an unknown user, a wrong password, a user without an APOP secret and a wrong digest all give the
 * same `-ERR [AUTH]` (RFC 3206 §4) after the same work: an unknown user's password is checked against a fixed
 * hash, and an unknown user's digest is computed from a fixed secret, so neither text nor timing tells whether an
 * address exists. The reason is only logged. A lock taken for a snapshot that then fails is released. A store
 * error becomes `-ERR [SYS/TEMP]` and is logged with its cause.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../proto/index.js';
import { authFailed, maildropInUse } from '../pop3/index.js';
import type { Pop3Backend, Pop3ConnInfo, Pop3Maildrop } from '../pop3/server/index.js';
import { createResolver, createRouter } from '../mta/index.js';
import { MailboxLockedError, unknownAccountHash, verifyPassword as storeVerifyPassword, type Mailbox, type MailboxLock, type Store, type User } from '../store/index.js';
import { StoreMaildrop, storeFailure, type MaildropContext } from './maildrop.js';

/** What the maildrop backend needs. */
export interface MaildropDeps {
  readonly store: Pick<Store, 'users' | 'aliases' | 'domains' | 'mailbox'>;
  /** A pino-compatible logger (app/ passes a child with `{ svc: 'pop3' }`). */
  readonly log: Logger;
  /** Checks a password against a stored hash (default: the store's scrypt `verifyPassword`). */
  readonly verifyPassword?: (password: string, hash: string) => Promise<boolean>;
}

/** The secret an unknown user's APOP digest is computed from (the result is ignored). */
const DUMMY_SECRET = randomBytes(16).toString('hex');

/**
 * RFC 1939 §7: the APOP digest, MD5 of the timestamp (brackets included) followed by the shared secret, as
 * lower-case hex.
 *
 * @example
 * ```ts
 * // The example of RFC 1939 §7:
 * apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf') === 'c4c9334bac560ecc979e58001b3e22fb';
 * ```
 */
export function apopDigest(timestamp: string, secret: string): string {
  return createHash('md5').update(timestamp + secret, 'utf8').digest('hex');
}

/** Compares two digests in constant time; a digest that is not 32 hex digits never matches. */
function digestMatches(want: string, got: string): boolean {
  if (!/^[0-9a-f]{32}$/i.test(got)) return false;
  return timingSafeEqual(Buffer.from(want, 'hex'), Buffer.from(got, 'hex'));
}

/**
 * Creates the POP3 backend over a store.
 *
 * @example
 * ```ts
 * const backend = createMaildropBackend({ store, log });
 * const drop = await backend.login('ann@example.org', 'secret', conn); // locked; drop.messages is the snapshot
 * await drop.commit(new Set([drop.messages[0]!.uid]));                 // QUIT: delete what DELE marked
 * await drop.release();
 * ```
 */
export function createMaildropBackend(deps: MaildropDeps): Pop3Backend {
  const verify = deps.verifyPassword ?? storeVerifyPassword;
  // The same lookup as SMTP AUTH (mta/submit.ts), so one address logs in the same way on every service.
  const resolver = createResolver({ users: deps.store.users, aliases: deps.store.aliases, router: createRouter(deps.store.domains) });

  const findUser = async (ctx: MaildropContext, name: string): Promise<User | undefined> => {
    try {
      return await resolver.user(name);
    } catch (err) {
      throw storeFailure(ctx, err, 'user lookup');
    }
  };

  const refuse = (ctx: MaildropContext, conn: Pop3ConnInfo, name: string, mech: string, why: string): never => {
    deps.log.info({ conn: ctx.conn, ip: conn.remote, mech, user: name, why }, 'authentication failed');
    throw authFailed();
  };

  /** Locks the user's INBOX and takes the snapshot (RFC 1939 §8). */
  const open = async (ctx: MaildropContext, user: User): Promise<Pop3Maildrop> => {
    let lock: MailboxLock;
    let mailbox: Mailbox;
    try {
      mailbox = await deps.store.mailbox(user.id, 'INBOX');
      // The owner names this session alone: the store treats a second lock by the same owner as re-entrant.
      lock = await mailbox.lock(`pop3:${ctx.conn}:${randomBytes(6).toString('hex')}`);
    } catch (err) {
      if (err instanceof MailboxLockedError) {
        deps.log.info({ conn: ctx.conn, user: user.address }, 'maildrop in use');
        throw maildropInUse();
      }
      throw storeFailure(ctx, err, 'lock', { user: user.address });
    }
    try {
      // No log line here: the server logs the login ('Logged in'). Only why a login failed is known to this file alone.
      return new StoreMaildrop(user.address, await mailbox.summary(), mailbox, lock, ctx);
    } catch (err) {
      await lock.release().catch((e: unknown) => deps.log.error({ conn: ctx.conn, err: e }, 'maildrop: release after a failed listing failed'));
      throw storeFailure(ctx, err, 'listing', { user: user.address });
    }
  };

  return {
    async login(name, password, conn) {
      const ctx: MaildropContext = { log: deps.log, conn: conn.id };
      const user = await findUser(ctx, name);
      // The hash is checked for an unknown user too, so the time taken does not reveal which addresses exist.
      const ok = await verify(password, user?.passwordHash ?? unknownAccountHash);
      if (!user) return refuse(ctx, conn, name, 'password', 'unknown user');
      if (!ok) return refuse(ctx, conn, name, 'password', 'wrong password');
      return open(ctx, user);
    },

    async apop(name, timestamp, digest, conn) {
      const ctx: MaildropContext = { log: deps.log, conn: conn.id };
      const user = await findUser(ctx, name);
      const secret = user?.apopSecret ?? null;
      const ok = digestMatches(apopDigest(timestamp, secret ?? DUMMY_SECRET), digest);
      if (!user) return refuse(ctx, conn, name, 'APOP', 'unknown user');
      if (secret === null) return refuse(ctx, conn, name, 'APOP', 'no APOP secret');
      if (!ok) return refuse(ctx, conn, name, 'APOP', 'wrong digest');
      return open(ctx, user);
    },
  };
}
