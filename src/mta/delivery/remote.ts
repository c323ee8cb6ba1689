/**
 * The remote delivery agent: queued message → the next hop of each recipient's domain over SMTP (issue 5 §1–2,
 * RFC 5321 §5.1, §4.4; STYLE.md §8).
 *
 * - Recipients are grouped by destination (next-hop.ts: static route, smarthost or MX), and the recipients of one
 *   destination go in one transaction (at most `maxRcpts`, Postfix's smtp_destination_recipient_limit 50), with
 *   per-recipient results.
 * - Hops are tried in order: a hop that cannot be reached or greeted, refuses TLS that is required, or answers
 *   421 / 4xx before any recipient was taken is skipped for the next one (RFC 5321 §5.1: try the next MX); the
 *   first hop that takes the transaction decides the results.
 * - Each message gets this server's `Received` line (RFC 5321 §4.4) in front of the queued body; the loop limit
 *   is enforced where mail enters (the Received count check of submit.ts), so a relay loop ends within the
 *   hop limit.
 * - Results: accepted → delivered with the peer's reply and `remoteMta`; when the next hop offers DSN the NOTIFY
 *   request travels with the message (`dsnPassedOn`), else a NOTIFY=SUCCESS recipient gets a `relayed` report.
 *   A 4xx or a network failure or timeout → deferred (the runner retries with backoff); 5xx → failed; a message
 *   that needs SMTPUTF8 for a hop without it → failed 5.6.7 (RFC 6531 §3.5); larger than the hop's SIZE → failed
 *   5.3.4; 8-bit for a hop without 8BITMIME that cannot be converted to 7 bits → failed 5.6.3.
 * - At most `perDestination` transactions run at once per destination (Postfix's default_destination_concurrency
 *   _limit 20); idle connections are kept for reuse (connection-cache.ts).
 * - The lease `signal` aborts a transaction in progress (its connection is destroyed, the recipients deferred).
 */
import { Readable } from 'node:stream';
import type { QueueItem, QueueRcpt, RcptResult } from '../../store/index.js';
import { DowngradeError } from '../../mime/index.js';
import {
  SmtpClientError,
  type ClientEnvelope,
  type ClientReply,
  type ClientTimeouts,
  type Connect,
  type SmtpConnection,
} from '../../smtp/client/index.js';
import type { MtaLogger, SetTimer } from '../deps.js';
import { domainOf } from '../address.js';
import type { DeliveryAgent } from './agent.js';
import { ConnectionCache } from './connection-cache.js';
import type { Destination, Hop, RouteFailure } from './next-hop.js';
import { receivedField } from './trace.js';

export interface RemoteDeliveryOptions {
  /** This server's name: EHLO and the Received line. */
  readonly hostname: string;
  /** The destination of a recipient domain (next-hop.ts `nextHop` bound to the policy). */
  readonly nextHop: (domain: string) => Promise<Destination>;
  readonly connect: Connect;
  readonly now: () => Date;
  readonly log: MtaLogger;
  readonly setTimer: SetTimer;
  /** Transactions at once per destination (default 20). */
  readonly perDestination?: number;
  /** Recipients per transaction (default 50). */
  readonly maxRcpts?: number;
  readonly timeouts?: Partial<ClientTimeouts>;
  /** Idle connection reuse: how long one waits (default 2 s, 0 disables reuse) and transactions per connection. */
  readonly connectionIdleMs?: number;
  readonly connectionMaxUses?: number;
  /** Minutes east of UTC for the Received date (default 0). */
  readonly tzOffsetMinutes?: number;
}

/** The remote agent, with `close()` to quit its idle connections at shutdown. */
export interface RemoteDelivery extends DeliveryAgent {
  close(): Promise<void>;
}

/** A counting semaphore per destination key. */
class Slots {
  readonly #busy = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();
  constructor(readonly limit: number) {}

  async acquire(key: string): Promise<() => void> {
    while ((this.#busy.get(key) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const w = this.#waiting.get(key);
        if (w) w.push(resolve);
        else this.#waiting.set(key, [resolve]);
      });
    }
    this.#busy.set(key, (this.#busy.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.#busy.get(key) ?? 1) - 1;
      if (n === 0) this.#busy.delete(key);
      else this.#busy.set(key, n);
      const w = this.#waiting.get(key);
      const next = w?.shift();
      if (w && w.length === 0) this.#waiting.delete(key);
      next?.();
    };
  }
}

const replyLine = (r: ClientReply): string => [String(r.code), r.enhanced, r.text].filter((s) => s !== undefined && s !== '').join(' ');

/** The enhanced code of a reply, or the class default (RFC 3463 §3.1: X.0.0). */
const enhancedOf = (r: ClientReply): string => r.enhanced ?? `${Math.trunc(r.code / 100)}.0.0`;

/**
 * Which cached connections a hop may reuse: everything that decided how the connection was set up (address, TLS
 * policy and the certificates trusted for it, the name verified, the credentials), so a connection verified or
 * authenticated for one route is never lent to another with a different policy.
 */
const hopKey = (h: Hop): string => JSON.stringify([h.address, h.port, h.tls, h.name, h.ca ?? null, h.auth?.user ?? null, h.auth?.pass ?? null]);

const hopName = (h: Hop): string => (h.name === h.address ? `[${h.address}]:${h.port}` : `${h.name}[${h.address}]:${h.port}`);

/** Why every recipient of a transaction failed or waits (a route failure, or the last hop's). */
type Failure = RouteFailure & { readonly remoteMta?: string };

/** A failure of the whole transaction as the result of each recipient. */
function failAll(rcpts: readonly QueueRcpt[], f: Failure): RcptResult[] {
  return rcpts.map((r) => ({
    rcpt: r.address,
    outcome: f.permanent ? 'failed' : 'deferred',
    code: f.code,
    enhanced: f.enhanced,
    text: f.text,
    ...(f.remoteMta !== undefined ? { remoteMta: f.remoteMta } : {}),
  }));
}

/** How a client error ends the recipients when no other hop is left. */
function errorFailure(err: unknown, hop: Hop): Failure {
  const where = hopName(hop);
  if (err instanceof SmtpClientError) {
    if (err.kind === 'smtputf8') return { permanent: true, code: 553, enhanced: '5.6.7', text: `${where}: the message needs SMTPUTF8 and the host does not offer it` };
    if (err.kind === 'size') return { permanent: true, code: 552, enhanced: '5.3.4', text: `${where}: ${err.message}` };
    // RFC 3463 5.6.3: the hop lacks 8BITMIME and this message cannot be made 7-bit (a part the MIME rules forbid
    // encoding, 8-bit octets found past the look-ahead of a part declared 7bit): retrying cannot help.
    if (err.kind === 'body' && err.cause instanceof DowngradeError) {
      return { permanent: true, code: 554, enhanced: '5.6.3', text: `${where}: the host does not accept 8-bit mail and the message cannot be converted to 7 bits` };
    }
    if (err.reply) {
      const r = err.reply;
      return { permanent: !err.temporary, code: r.code, enhanced: enhancedOf(r), text: r.text, remoteMta: hop.name };
    }
    if (err.kind === 'tls') return { permanent: false, code: 451, enhanced: '4.7.5', text: `${where}: ${err.message}` };
    return { permanent: false, code: 451, enhanced: '4.4.1', text: `${where}: ${err.message}` };
  }
  return { permanent: false, code: 451, enhanced: '4.4.1', text: `${where}: delivery failed` };
}

/** Whether a failure at this point should try the next hop (nothing was taken yet; RFC 5321 §5.1). */
function tryNextHop(err: unknown): boolean {
  if (!(err instanceof SmtpClientError)) return true;
  if (err.kind === 'smtputf8' || err.kind === 'size' || err.kind === 'aborted') return false;
  if (err.reply && !err.temporary && err.stage !== 'greeting' && err.stage !== 'ehlo') return false;
  return err.stage !== 'data' || err.kind !== 'reply';
}

/**
 * Creates the remote delivery agent.
 *
 * @example
 * ```ts
 * const remote = createRemoteDelivery({ hostname: 'mx.example.org', nextHop: (d) => nextHop(d, policy), connect,
 *   now: () => new Date(), log, setTimer: systemSetTimer });
 * const results = await remote.deliver(item, () => store.blobs.get(item.body), signal);
 * await remote.close();
 * ```
 */
export function createRemoteDelivery(o: RemoteDeliveryOptions): RemoteDelivery {
  const slots = new Slots(o.perDestination ?? 20);
  const maxRcpts = o.maxRcpts ?? 50;
  const cache = new ConnectionCache({
    setTimer: o.setTimer,
    idleMs: o.connectionIdleMs ?? 2000,
    ...(o.connectionMaxUses !== undefined ? { maxUses: o.connectionMaxUses } : {}),
  });

  /**
   * Connects to a hop. Opportunistic TLS whose handshake fails is tried once more in plain text (RFC 7435 §4,
   * Postfix's smtp_tls_security_level = may): the peer offered STARTTLS but cannot do it.
   */
  const openFresh = async (hop: Hop): Promise<SmtpConnection> => {
    try {
      return await connectTo(hop, hop.tls);
    } catch (err) {
      if (hop.tls !== 'opportunistic' || !(err instanceof SmtpClientError) || err.kind !== 'tls') throw err;
      o.log.info({ hop: hopName(hop), err: err.message }, 'TLS failed, trying without');
      return connectTo(hop, 'none');
    }
  };
  const connectTo = (hop: Hop, tls: Hop['tls']): Promise<SmtpConnection> =>
    o.connect({
      host: hop.address,
      port: hop.port,
      servername: hop.name,
      helo: o.hostname,
      tls,
      ...(hop.ca !== undefined ? { ca: hop.ca } : {}),
      ...(hop.auth ? { auth: hop.auth } : {}),
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
    });
  const open = async (hop: Hop): Promise<{ conn: SmtpConnection; uses: number }> => cache.take(hopKey(hop)) ?? { conn: await openFresh(hop), uses: 0 };

  /** One transaction for `rcpts` over the hops of a destination. */
  const transact = async (item: QueueItem, rcpts: readonly QueueRcpt[], hops: readonly Hop[], body: () => Promise<Readable>, signal: AbortSignal): Promise<RcptResult[]> => {
    const env = item.envelope;
    const received = Buffer.from(
      receivedField({
        helo: env.client.helo,
        ip: env.client.ip,
        hostname: o.hostname,
        protocol: env.client.protocol,
        queueId: item.id,
        date: o.now(),
        ...(rcpts.length === 1 ? { rcpt: rcpts[0]!.address } : {}),
        ...(o.tzOffsetMinutes !== undefined ? { tzOffsetMinutes: o.tzOffsetMinutes } : {}),
      }),
      'utf8',
    );
    const envelope: ClientEnvelope = {
      from: env.from,
      rcpts: rcpts.map((r) => ({ address: r.address, ...(r.notify ? { notify: r.notify } : {}), ...(r.orcpt ? { orcpt: r.orcpt } : {}) })),
      body: env.body,
      smtputf8: env.smtputf8,
      ...(env.ret ? { ret: env.ret } : {}),
      ...(env.envid ? { envid: env.envid } : {}),
      size: received.length + item.body.size,
    };
    const source = async (): Promise<Readable> => {
      const blob = await body();
      return Readable.from(
        (async function* () {
          yield received;
          yield* blob;
        })(),
        { objectMode: false },
      );
    };
    /** One try on one hop: the results, or the error. A cached connection the peer dropped meanwhile is retried fresh. */
    const attempt = async (hop: Hop): Promise<RcptResult[] | { err: unknown }> => {
      for (let fresh = false; ; fresh = true) {
        let lent: { conn: SmtpConnection; uses: number };
        try {
          lent = fresh ? { conn: await openFresh(hop), uses: 0 } : await open(hop);
        } catch (err) {
          return { err };
        }
        const abort = (): void => lent.conn.destroy();
        signal.addEventListener('abort', abort);
        try {
          const res = await lent.conn.send(envelope, source);
          cache.give(hopKey(hop), lent.conn, lent.uses + 1);
          return res.rcpts.map((r): RcptResult => {
            if (r.outcome === 'accepted') {
              return { rcpt: r.address, outcome: 'delivered', reply: replyLine(r.reply), remoteMta: hop.name, action: 'relayed', dsnPassedOn: res.dsn };
            }
            return {
              rcpt: r.address,
              outcome: r.outcome === 'temporary' ? 'deferred' : 'failed',
              code: r.reply.code,
              enhanced: enhancedOf(r.reply),
              text: r.reply.text,
              remoteMta: hop.name,
            };
          });
        } catch (err) {
          cache.give(hopKey(hop), lent.conn, lent.uses + 1);
          // A reused connection the peer closed while idle (its timeout) is not the hop's fault: once more, fresh.
          const dropped = err instanceof SmtpClientError && (err.kind === 'network' || (err.reply?.code === 421 && err.stage === 'mail'));
          if (lent.uses > 0 && dropped && !fresh && !signal.aborted) continue;
          return { err };
        } finally {
          signal.removeEventListener('abort', abort);
        }
      }
    };
    let last: unknown;
    let lastHop = hops[0]!;
    for (const hop of hops) {
      if (signal.aborted) break;
      lastHop = hop;
      const got = await attempt(hop);
      if (Array.isArray(got)) return got;
      last = got.err;
      if (signal.aborted || !tryNextHop(last)) break;
      o.log.info({ queueId: item.id, hop: hopName(hop), err: (last as Error).message }, 'next hop failed');
    }
    if (signal.aborted) return failAll(rcpts, { permanent: false, code: 451, enhanced: '4.4.2', text: 'Delivery interrupted' });
    return failAll(rcpts, errorFailure(last, lastHop));
  };

  return {
    async deliver(item, body, signal) {
      // Destination of each recipient domain, asked once per domain.
      const byDomain = new Map<string, QueueRcpt[]>();
      for (const r of item.rcpts) {
        const d = domainOf(r.address); // lower-cased by domainOf
        const list = byDomain.get(d);
        if (list) list.push(r);
        else byDomain.set(d, [r]);
      }
      const groups = new Map<string, { dest: Destination; rcpts: QueueRcpt[] }>();
      const results: RcptResult[] = [];
      await Promise.all(
        [...byDomain].map(async ([domain, rcpts]) => {
          let dest: Destination;
          try {
            dest = await o.nextHop(domain);
          } catch (err) {
            o.log.error({ err, queueId: item.id, domain }, 'routing failed');
            results.push(...failAll(rcpts, { permanent: false, code: 451, enhanced: '4.4.3', text: 'Routing failed' }));
            return;
          }
          const g = groups.get(dest.key);
          if (g) g.rcpts.push(...rcpts);
          else groups.set(dest.key, { dest, rcpts: [...rcpts] });
        }),
      );
      const runs: Promise<RcptResult[]>[] = [];
      for (const { dest, rcpts } of groups.values()) {
        if ('failure' in dest) {
          results.push(...failAll(rcpts, dest.failure));
          continue;
        }
        for (let i = 0; i < rcpts.length; i += maxRcpts) {
          const chunk = rcpts.slice(i, i + maxRcpts);
          runs.push(
            (async () => {
              const release = await slots.acquire(dest.key);
              try {
                return await transact(item, chunk, dest.hops, body, signal);
              } finally {
                release();
              }
            })(),
          );
        }
      }
      for (const r of await Promise.all(runs)) results.push(...r);
      return results;
    },
    close: () => cache.close(),
  };
}
