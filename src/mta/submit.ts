/**
 * The SMTP backend of the MTA: policy for each port, then the durable enqueue (issue 3 §3, STYLE.md §1.5, §8).
 *
 * Policy by listener (`ConnInfo.service`):
 * - `smtp` (port 25, MX): recipients only in local domains; an unknown local user gets `550 5.1.1`, another domain
 *   `554 5.7.1 Relay access denied`. Nobody is trusted implicitly, not even loopback: only clients in
 *   `trustedNetworks` may relay. No AUTH is offered (the session is not an SmtpAuthSession). The null sender `<>`
 *   is accepted (bounces must get in, RFC 5321 §4.5.5).
 * - `submission` / `submissions` (RFC 6409, RFC 8314): AUTH PLAIN or LOGIN against the store's users; MAIL before
 *   AUTH → `530 5.7.0`; the envelope sender must be the user's primary address or an alias that expands to the
 *   user → else `553 5.7.1` (also for `<>`); recipients in any domain are accepted, but an unknown user in a local
 *   domain still gets `550 5.1.1` (as Postfix's local_recipient_maps: the sender hears about a typo at once
 *   instead of from a bounce).
 * - Both: addresses keep the local part's case and lower-case the domain; a recipient exists when alias expansion
 *   (aliases, `@domain` catch-all) reaches a user or a remote address; a repeated recipient is accepted once;
 *   MAIL is refused with `452 4.3.1` while free disk space is under `minFreeBytes` (+ the declared SIZE).
 *
 * Durability: `data()` streams the body (never held in memory) through the Received counter into
 * `store.blobs.put`, then `store.queue.enqueue`, and resolves with "Ok: queued as <id>" (sent as `250 2.0.0 …`) only after the
 * enqueue resolved (the put with `durable: false`, so a small body shares the enqueue's fsync; the body is durable
 * when the enqueue resolves). Over 50 Received fields → `554 5.4.6` (RFC 5321 §6.3). Any
 * failure after the blob was written leaves the blob for the store's start-up collection (the enqueue may have
 * committed); nothing is acknowledged before the enqueue resolved.
 */
import type { Readable } from 'node:stream';
import { BlobTooLargeError, newQueueId, unknownAccountHash, verifyPassword as storeVerifyPassword, type BlobRef, type EnvelopeRcpt, type Envelope, type Store, type User } from '../store/index.js';
import { passwordMechanisms, readCredentials, SaslMalformedError, type SaslCredentials } from '../proto/index.js';
import {
  authFailed,
  authRequired,
  badRecipient,
  insufficientStorage,
  loopDetected,
  relayDenied,
  senderNotOwned,
  tooBig,
  unknownMechanism,
  unknownUser,
} from '../smtp/index.js';
import type { BodyType, ConnInfo, MailOptions, RcptOptions, SaslExchange, SmtpAuthSession, SmtpBackend, SmtpSession } from '../smtp/server/index.js';
import { addressKey, domainOf, normalizeAddress } from './address.js';
import { createResolver, createRouter, type AddressResolver, type AtOnce, type Expansion, type LocalDomains } from './delivery/index.js';
import type { MtaLogger } from './deps.js';
import { networkMatcher } from './networks.js';
import { ReceivedCounter } from './received-counter.js';

export interface SubmitDeps {
  readonly store: Pick<Store, 'blobs' | 'queue' | 'users' | 'aliases' | 'domains'>;
  /** This server's name; `<postmaster>` without a domain means postmaster@hostname. */
  readonly hostname: string;
  /** The domains mail is accepted for (default: the store's DomainRepo). */
  readonly localDomains?: LocalDomains;
  /** CIDR blocks whose clients may relay through port 25 without AUTH (default: none). */
  readonly trustedNetworks?: readonly string[];
  readonly maxMessageBytes: number;
  readonly now: () => Date;
  readonly log: MtaLogger;
  /** Free bytes on the queue's disk; MAIL is refused with 452 4.3.1 below `minFreeBytes`. */
  readonly diskFree?: () => Promise<number>;
  /** Default: 1.5 × maxMessageBytes (Postfix requires queue_minfree ≥ 1.5 × message_size_limit). */
  readonly minFreeBytes?: number;
  /** Received fields allowed in a message (default 50, Postfix's hopcount_limit). */
  readonly maxReceived?: number;
  /** Checks a password against a stored hash (default: the store's scrypt `verifyPassword`). */
  readonly verifyPassword?: (password: string, hash: string) => Promise<boolean>;
  /** Called after each enqueue (the queue runner's `notify`). */
  readonly queued?: (id: string) => void;
  /**
   * Local delivery at receipt (delivery/at-once.ts): a message whose every recipient is one local mailbox is
   * delivered in the durable step before 250 instead of being queued. Off when absent (the queue takes all).
   */
  readonly atOnce?: AtOnce;
}

/** What a session needs from the backend, computed once. */
interface Ctx {
  readonly deps: SubmitDeps;
  readonly resolver: AddressResolver;
  readonly trusted: (ip: string) => boolean;
  readonly minFree: number;
  readonly maxReceived: number;
}

/**
 * The SmtpBackend for every listener.
 *
 * @example
 * ```ts
 * const backend = createSubmitBackend({ store, hostname: 'mx.example.org', maxMessageBytes: 25 << 20,
 *   now: () => new Date(), log, queued: () => runner.notify() });
 * const server = new SmtpServer({ backend, ... });
 * ```
 */
export function createSubmitBackend(deps: SubmitDeps): SmtpBackend {
  const router = createRouter(deps.localDomains ?? deps.store.domains);
  const ctx: Ctx = {
    deps,
    resolver: createResolver({ users: deps.store.users, aliases: deps.store.aliases, router }),
    trusted: networkMatcher(deps.trustedNetworks ?? []),
    minFree: deps.minFreeBytes ?? Math.ceil(1.5 * deps.maxMessageBytes),
    maxReceived: deps.maxReceived ?? 50,
  };
  return {
    async newSession(conn) {
      return conn.service === 'smtp' ? new MxSession(ctx, conn) : new SubmissionSession(ctx, conn);
    },
  };
}

/** The mail transaction shared by both kinds of session. */
abstract class TransactionSession implements SmtpSession {
  protected from: string | null = null;
  protected mailOpts: MailOptions | null = null;
  protected rcpts: EnvelopeRcpt[] = [];
  /** The expansion of each recipient at RCPT, in order (delivery at receipt uses it). */
  #expansions: Expansion[] = [];
  #seen = new Set<string>();

  constructor(
    protected readonly ctx: Ctx,
    protected readonly conn: ConnInfo,
  ) {}

  /** The authenticated user's address, if any. */
  protected abstract get user(): string | undefined;
  protected abstract checkSender(from: string): Promise<void>;
  /** Whether this client may send to other domains. */
  protected abstract mayRelay(): boolean;

  async mail(from: string, opts: MailOptions): Promise<void> {
    const sender = from === '' ? '' : normalizeAddress(from);
    await this.checkSender(sender);
    const { diskFree } = this.ctx.deps;
    if (diskFree) {
      const free = await diskFree();
      // RFC 1870 §6.1: 452 when the declared SIZE does not fit now.
      if (free < this.ctx.minFree + (opts.size ?? 0)) {
        this.ctx.deps.log.warn({ conn: this.conn.id, free }, 'low disk space: MAIL refused');
        throw insufficientStorage();
      }
    }
    this.#clear();
    this.from = sender;
    this.mailOpts = opts;
  }

  async rcpt(to: string, opts: RcptOptions): Promise<void> {
    let address = normalizeAddress(to);
    if (domainOf(address) === '') {
      // RFC 5321 §4.5.1: <postmaster> without a domain must be accepted.
      if (address.toLowerCase() !== 'postmaster') throw badRecipient('a domain is required');
      address = `postmaster@${this.ctx.deps.hostname.toLowerCase()}`;
    }
    // One lookup of the domain: expanding an address in another domain only finds it external.
    const exp = await this.ctx.resolver.expand(address);
    if (exp.external) {
      if (!this.mayRelay()) throw relayDenied();
    } else if (exp.local.length === 0 && exp.remote.length === 0) throw unknownUser();
    const key = addressKey(address);
    if (this.#seen.has(key)) return; // RFC 5321 §3.3: a repeated RCPT is acknowledged and delivered once
    this.#seen.add(key);
    this.rcpts.push({ address, ...(opts.notify ? { notify: [...opts.notify] } : {}), ...(opts.orcpt ? { orcpt: opts.orcpt } : {}) });
    this.#expansions.push(exp);
  }

  async data(body: Readable, info: { size: number | null; bodyType: BodyType }): Promise<string> {
    const { store, log, now } = this.ctx.deps;
    const from = this.from;
    const opts = this.mailOpts;
    if (from === null || opts === null || this.rcpts.length === 0) {
      throw new Error('Cannot accept DATA: no mail transaction'); // the engine's sequencing prevents this
    }
    const counter = new ReceivedCounter();
    const max = this.ctx.maxReceived;
    let loop = false;
    const user = this.user;
    const env: Envelope = {
      from,
      receivedAt: now(),
      rcpts: this.rcpts,
      ...(opts.ret ? { ret: opts.ret } : {}),
      ...(opts.envid !== undefined ? { envid: opts.envid } : {}),
      smtputf8: opts.smtputf8,
      body: opts.body ?? info.bodyType,
      client: {
        helo: this.conn.helo ?? '',
        ip: this.conn.remote,
        ...(user !== undefined ? { user } : {}),
        tls: this.conn.tls,
        // RFC 3848: ESMTP, ESMTPS (TLS), ESMTPA (AUTH), ESMTPSA.
        protocol: `ESMTP${this.conn.tls ? 'S' : ''}${user !== undefined ? 'A' : ''}`,
      },
    };
    const atOnce = this.ctx.deps.atOnce;
    const targets = atOnce?.targets(this.rcpts, this.#expansions) ?? null;
    const atOnceId = targets ? newQueueId() : '';
    const delivery = targets && atOnce ? atOnce.begin(atOnceId, env, targets) : null;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const raw of body) {
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as string);
        if (!counter.headerDone) {
          counter.push(chunk);
          if (counter.count > max) {
            loop = true;
            throw loopDetected();
          }
        }
        delivery?.write(chunk);
        yield chunk;
      }
    }
    let blob: BlobRef;
    try {
      // The enqueue below is the durable write that refers to the body: the body may share its fsync.
      blob = await store.blobs.put(counted(), { maxBytes: this.ctx.deps.maxMessageBytes, durable: false });
    } catch (err) {
      if (loop) {
        log.info({ conn: this.conn.id, from, received: counter.count }, 'message refused: mail loop');
        throw loopDetected();
      }
      if (err instanceof BlobTooLargeError) throw tooBig();
      throw err;
    }
    // On an error the blob is left alone: if the enqueue committed but its fsync failed, the row may point to it.
    // A blob without a row is collected by the store at start.
    const delivered = delivery !== null && (await delivery.commit(blob));
    const id = delivered ? atOnceId : await store.queue.enqueue(env, blob);
    // The line that leads from the session's lines (which carry `conn`) to the queue's (which carry `queueId`), as
    // Postfix's `from=<…>` / `to=<…>` lines do.
    log.info(
      { conn: this.conn.id, service: this.conn.service, queueId: id, from, to: env.rcpts.map((r) => r.address), size: blob.size, user, ...(delivered ? { delivered } : {}) },
      'Message accepted',
    );
    this.#clear();
    if (!delivered) this.ctx.deps.queued?.(id);
    // The engine sends it as `250 2.0.0 Ok: queued as <id>` (Postfix's wording; the id is the queue id).
    return `Ok: queued as ${id}`;
  }

  async reset(): Promise<void> {
    this.#clear();
  }

  async close(): Promise<void> {
    this.#clear();
  }

  #clear(): void {
    this.from = null;
    this.mailOpts = null;
    this.rcpts = [];
    this.#expansions = [];
    this.#seen = new Set();
  }
}

/** Port 25: local recipients only, unless the client is in a trusted network. No AUTH. */
class MxSession extends TransactionSession {
  readonly #trusted = this.ctx.trusted(this.conn.remote);
  protected get user(): undefined {
    return undefined;
  }
  protected async checkSender(): Promise<void> {}
  protected mayRelay(): boolean {
    return this.#trusted;
  }
}

/** Submission (587) and submissions (465): AUTH first, own sender addresses, any destination. */
class SubmissionSession extends TransactionSession implements SmtpAuthSession {
  #user: User | undefined;

  protected get user(): string | undefined {
    return this.#user?.address;
  }

  mechanisms(): readonly string[] {
    return passwordMechanisms;
  }

  async authenticate(mech: string, sasl: SaslExchange): Promise<string> {
    const m = mech.toUpperCase();
    if (!passwordMechanisms.includes(m)) throw unknownMechanism();
    const { log } = this.ctx.deps;
    const verifyPassword = this.ctx.deps.verifyPassword ?? storeVerifyPassword;
    let cred: SaslCredentials;
    try {
      cred = await readCredentials(m, sasl);
    } catch (err) {
      if (!(err instanceof SaslMalformedError)) throw err;
      log.info({ conn: this.conn.id, ip: this.conn.remote, mech: m, why: err.message }, 'authentication failed');
      throw authFailed();
    }
    const user = await this.ctx.resolver.user(cred.user);
    // RFC 4616 §2: an authorization identity other than the authenticated one is refused (no proxy login).
    const authzOk = cred.authzid === '' || addressKey(cred.authzid) === addressKey(cred.user);
    // The hash is checked even for an unknown user or a wrong authorization identity, so timing does not tell
    // which addresses exist nor which part was wrong.
    const ok = (await verifyPassword(cred.password, user?.passwordHash ?? unknownAccountHash)) && user !== undefined && authzOk;
    if (!ok || !user) {
      log.info({ conn: this.conn.id, ip: this.conn.remote, mech: m, user: cred.user }, 'authentication failed');
      throw authFailed();
    }
    this.#user = user;
    log.info({ conn: this.conn.id, mech: m, user: user.address }, 'authenticated');
    return user.address;
  }

  protected async checkSender(from: string): Promise<void> {
    const user = this.#user;
    if (!user) throw authRequired();
    if (from !== '' && addressKey(from) === addressKey(user.address)) return;
    if (from !== '') {
      const exp = await this.ctx.resolver.expand(from, { catchAll: false });
      if (exp.local.some((t) => t.user.id === user.id)) return;
    }
    throw senderNotOwned();
  }

  protected mayRelay(): boolean {
    return true;
  }
}
