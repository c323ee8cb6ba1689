/**
 * The queue runner: takes due messages from the durable queue, hands each recipient to its delivery agent and
 * settles the outcomes (STYLE.md §8: receive → enqueue → scheduler → DeliveryAgent → settle → dsn).
 *
 * - Claims: `Queue.claim` leases items to this worker for `leaseMs`; up to `concurrency` items are attempted at
 *   once, and a new claim fills the slots as soon as half of them are free (not after a whole batch), so the
 *   settles and claims of many items share one group commit. An item is never attempted twice at once. Several
 *   runners (processes or nodes) may share one queue: the lease keeps them apart.
 * - Per recipient: only pending or deferred recipients whose `nextAttempt` has come are tried; the router sends
 *   each to the `local` or `remote` agent; a deferral gets its retry time from backoff.ts, and past the queue
 *   lifetime it becomes a failure. An agent that throws or omits a recipient defers it (`451 4.3.0`).
 * - Wake-up: `notify()` (called by the submit backend after each enqueue) starts a pass at once instead of
 *   waiting for the poll timer; a notify during a pass schedules another pass right after it. Between passes the
 *   runner sleeps until the earliest retry it scheduled itself, or at most `pollMs` (retries other workers set).
 * - Durability: nothing is marked delivered before the agent returned; a crash between delivery and settle retries
 *   the recipient, and local delivery is idempotent per delivery id (at least once to the queue, exactly once into
 *   a mailbox).
 * - `stop()` stops claiming and waits for the attempts in flight; their signal aborts when the lease is about to
 *   run out, so an agent never works on an item another worker may have claimed.
 * - DSN: the recipients of an attempt that owe a report (dsn-need.ts) go to `onDsn` together, BEFORE the settle:
 *   the report is queued durably first, so a crash between the two repeats a report rather than losing one
 *   (at least once, like delivery). A deferral that owed a delay notice is settled `delayReported`, so the notice
 *   goes out once. When the report cannot be queued it is logged (`dsn lost`) and the attempt settles anyway.
 */
import type { Readable } from 'node:stream';
import type { QueueItem, QueueRcpt, RcptResult, Store } from '../../store/index.js';
import type { MtaLogger, SetTimer } from '../deps.js';
import type { DeliveryAgent, Route, Router } from '../delivery/index.js';
import { resolveBackoff, scheduleRetry, type BackoffPolicy } from './backoff.js';
import { dsnNeeds, type DsnNeed } from './dsn-need.js';

export interface QueueRunnerOptions {
  readonly store: Pick<Store, 'queue' | 'blobs'>;
  readonly agents: { readonly local: DeliveryAgent; readonly remote: DeliveryAgent };
  readonly router: Pick<Router, 'route'>;
  readonly now: () => Date;
  readonly setTimer: SetTimer;
  /** This runner's id in queue leases (unique per process). */
  readonly worker: string;
  /** Items attempted at once (default 32). */
  readonly concurrency?: number;
  /** How long a claim holds an item (default 10 minutes). */
  readonly leaseMs?: number;
  /** How often the queue is polled for due retries when nothing wakes the runner (default 60 s). */
  readonly pollMs?: number;
  readonly backoff?: Partial<BackoffPolicy>;
  /** Randomness for the retry jitter, [0, 1) (default Math.random). */
  readonly random?: () => number;
  readonly log: MtaLogger;
  /** Queues the reports owed by one attempt (all of one item; see dsn-need.ts and mta/dsn); durable when it resolves. */
  readonly onDsn?: (needs: readonly DsnNeed[]) => void | Promise<void>;
  /**
   * How long a message waits before a deferral owes a delay notice, for recipients with NOTIFY=DELAY (Postfix's
   * delay_warning_time; default 4 hours).
   */
  readonly delayNoticeMs?: number;
}

/** How soon a pass that failed is followed by another. */
const RETRY_FAILED_PASS_MS = 1000;

const due = (r: QueueRcpt, now: Date): boolean =>
  (r.state === 'pending' || r.state === 'deferred') && r.nextAttempt.getTime() <= now.getTime();

const internal = (rcpt: string, text: string): RcptResult => ({ rcpt, outcome: 'deferred', code: 451, enhanced: '4.3.0', text });

/**
 * Runs the queue: `start()` in the daemon, `runOnce()` in tests.
 *
 * @example
 * ```ts
 * const runner = new QueueRunner({ store, agents: { local, remote: createRemoteDelivery({ … }) }, router,
 *   now: () => new Date(), setTimer: systemSetTimer, worker: 'node-1', log });
 * runner.start();
 * // after each enqueue: runner.notify();
 * await runner.stop();
 * ```
 */
export class QueueRunner {
  readonly #o: QueueRunnerOptions;
  readonly #policy: BackoffPolicy;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #random: () => number;
  #running = false;
  #again = false;
  #pass: Promise<void> | null = null;
  #cancelTimer: (() => void) | null = null;
  #stopping = new AbortController();
  /** Retry times this runner set (earliest first, bounded), so it wakes when they come due. */
  #dues: number[] = [];
  /** The time of the last claim: a retry due after it was not seen by any claim yet. */
  #lastClaim = 0;
  /** Items this runner is attempting (the queue lets a worker claim its own leased items again). */
  readonly #inFlight = new Set<string>();
  /** Claims running now, and the items whose attempt ended meanwhile (the claim may have read them unsettled). */
  #claims = 0;
  readonly #doneWhileClaiming = new Set<string>();
  /** Counts notify() calls, so a run in progress claims again. */
  #wakes = 0;
  #waiters: (() => void)[] = [];

  constructor(o: QueueRunnerOptions) {
    this.#o = o;
    this.#policy = resolveBackoff(o.backoff);
    this.#concurrency = o.concurrency ?? 32;
    this.#leaseMs = o.leaseMs ?? 600_000;
    this.#pollMs = o.pollMs ?? 60_000;
    this.#random = o.random ?? Math.random;
    if (!(this.#concurrency >= 1) || !(this.#leaseMs > 0) || !(this.#pollMs > 0)) {
      throw new Error('Cannot create queue runner: concurrency, leaseMs and pollMs must be positive');
    }
  }

  /** The retry policy in force (defaults filled in). */
  get policy(): BackoffPolicy {
    return this.#policy;
  }

  /** Starts polling and runs a first pass at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopping = new AbortController();
    this.#kick();
  }

  /** Something was enqueued: run a pass now (or right after the current one). */
  notify(): void {
    if (!this.#running) return;
    this.#wakes++;
    this.#changed();
    this.#kick();
  }

  /** Stops claiming and resolves when the attempts in flight have settled. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#stopping.abort();
    this.#changed();
    await this.idle();
  }

  /** Resolves when no pass is running (tests: after `notify()` or a timer). */
  async idle(): Promise<void> {
    while (this.#pass) await this.#pass;
  }

  /**
   * Claims and attempts due items until none is left; returns how many items were attempted. For tests and
   * `postroom queue flush`; the started runner calls it from its timer.
   *
   * Attempts run concurrently, at most `concurrency` at once across the runner, and an item is never attempted
   * twice at once. Claims follow as slots free up (once half of them are free, so each claim brings several
   * items), so settles and claims of many items share the store's group commits. A `notify()` during the run
   * makes it claim again even after the queue looked empty.
   */
  async runOnce(): Promise<number> {
    let total = 0;
    /** Items attempted in this run: one claimed again had its settle fail, so the run does not loop on it. */
    const seen = new Set<string>();
    const mine = new Set<Promise<void>>();
    let failure: { err: unknown } | undefined;
    let more = true;
    let wakes = this.#wakes;
    for (;;) {
      if (this.#wakes !== wakes) more = true;
      const free = this.#concurrency - this.#inFlight.size;
      const claimNow =
        more && !failure && !this.#stopping.signal.aborted && free > 0 && (free * 2 >= this.#concurrency || this.#inFlight.size === 0);
      if (claimNow) {
        wakes = this.#wakes;
        this.#again = false; // this claim sees every enqueue notified so far
        const now = this.#o.now();
        this.#lastClaim = now.getTime();
        // Own items in flight are still due and leased to this worker, so the claim returns them too: ask for
        // enough to fill the free slots anyway.
        const limit = free + this.#inFlight.size;
        let items: QueueItem[];
        this.#claims++;
        try {
          items = await this.#o.store.queue.claim({ now, limit, leaseMs: this.#leaseMs, worker: this.#o.worker });
        } catch (err) {
          failure = { err };
          continue;
        } finally {
          this.#claims--;
        }
        // In flight: attempted by this or a concurrent run; done while claiming: the claim may have read it
        // before its settle (the next claim sees the settled state).
        const done = (i: QueueItem): boolean => this.#doneWhileClaiming.has(i.id);
        const candidates = items.filter((i) => !this.#inFlight.has(i.id) && !done(i) && !seen.has(i.id));
        const fresh = candidates.slice(0, Math.max(0, this.#concurrency - this.#inFlight.size));
        // A short batch means nothing else is due; a full one holding only items this run attempted already (their
        // settle failed) is stuck on them. Items done while claiming were read stale: claim again.
        // Candidates left over for want of a free slot are leased to this worker but not attempted: claim again.
        more = (items.length >= limit && (candidates.length > 0 || items.some(done))) || candidates.length > fresh.length;
        if (this.#claims === 0) this.#doneWhileClaiming.clear();
        for (const item of fresh) {
          seen.add(item.id);
          this.#inFlight.add(item.id);
          const run: Promise<void> = this.#attempt(item, now)
            .catch((err: unknown) => {
              failure ??= { err };
            })
            .finally(() => {
              this.#inFlight.delete(item.id);
              if (this.#claims > 0) this.#doneWhileClaiming.add(item.id);
              mine.delete(run);
              this.#changed();
            });
          mine.add(run);
        }
        total += fresh.length;
        continue;
      }
      const canClaimLater = more && !failure && !this.#stopping.signal.aborted;
      if (mine.size === 0 && (!canClaimLater || this.#inFlight.size === 0)) break;
      // Wait for a slot to free up (ours or a concurrent run's), a notify() or stop().
      await this.#change();
    }
    if (failure) throw failure.err;
    return total;
  }

  /** Resolves at the next attempt end, notify() or stop(). */
  #change(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #changed(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const resolve of w) resolve();
  }

  #kick(): void {
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#pass = this.#loop().finally(() => {
      this.#pass = null;
      // A notify() that came after the loop's last check but before this point must not wait for the timer.
      if (this.#again && this.#running) this.#kick();
    });
  }

  async #loop(): Promise<void> {
    let failed = false;
    do {
      this.#again = false;
      failed = false;
      try {
        await this.runOnce();
      } catch (err) {
        failed = true;
        this.#o.log.error({ err, worker: this.#o.worker }, 'queue run failed');
      }
    } while (this.#again && this.#running);
    if (this.#running) {
      // Wake at the next retry this runner scheduled, or at the poll interval (retries set by other workers). A
      // retry that came due during the pass, after its last claim, is claimed by a pass right away.
      const now = this.#o.now().getTime();
      this.#dues = this.#dues.filter((t) => t > this.#lastClaim);
      const next = this.#dues[0];
      // After a failed pass (a claim the database refused for a moment) the due mail may be waiting: look again soon.
      const poll = failed ? Math.min(this.#pollMs, RETRY_FAILED_PASS_MS) : this.#pollMs;
      const delay = next === undefined ? poll : Math.max(0, Math.min(poll, next - now));
      this.#cancelTimer = this.#o.setTimer(() => {
        this.#cancelTimer = null;
        this.#kick();
      }, delay);
    }
  }

  async #attempt(item: QueueItem, now: Date): Promise<void> {
    const { queue, blobs } = this.#o.store;
    const log = this.#o.log;
    const rcpts = item.rcpts.filter((r) => due(r, now));
    const groups: Record<Route, QueueRcpt[]> = { local: [], remote: [] };
    const results: RcptResult[] = [];
    for (const r of rcpts) {
      try {
        groups[await this.#o.router.route(r.address)].push(r);
      } catch (err) {
        log.error({ err, queueId: item.id, rcpt: r.address }, 'routing failed');
        results.push(internal(r.address, 'Routing failed'));
      }
    }
    // The signal aborts before the lease ends (another worker may claim the item then) or when the runner stops.
    const ctl = new AbortController();
    const onStop = (): void => ctl.abort();
    this.#stopping.signal.addEventListener('abort', onStop);
    const cancelLease = this.#o.setTimer(() => ctl.abort(), Math.max(1, this.#leaseMs - Math.min(30_000, this.#leaseMs / 10)));
    const body = (): Promise<Readable> => blobs.get(item.body);
    try {
      const runs = (Object.keys(groups) as Route[])
        .filter((route) => groups[route].length > 0)
        .map((route) => this.#run(route, { ...item, rcpts: groups[route] }, body, ctl.signal));
      for (const r of await Promise.all(runs)) results.push(...r);
    } finally {
      cancelLease();
      this.#stopping.signal.removeEventListener('abort', onStop);
    }
    let settled = results.map((res) => {
      const rcpt = rcpts.find((r) => r.address === res.rcpt);
      return scheduleRetry(res, {
        attempt: (rcpt?.attempts ?? 0) + 1,
        createdAt: item.createdAt,
        now: this.#o.now(),
        policy: this.#policy,
        random: this.#random,
      });
    });
    const needs = dsnNeeds(item, settled, { delayAfterMs: this.#o.delayNoticeMs ?? 4 * 3_600_000, now: this.#o.now() });
    if (item.envelope.from === '') {
      // A report that cannot be returned (Postfix's double bounce): only the postmaster's log hears of it.
      for (const s of settled) if (s.outcome === 'failed') log.error({ queueId: item.id, rcpt: s.rcpt, code: s.code, enhanced: s.enhanced, text: s.text }, 'double bounce');
    }
    if (needs.length > 0) {
      try {
        await this.#o.onDsn?.(needs);
        const delayed = new Set(needs.filter((n) => n.kind === 'delayed').map((n) => n.rcpt.address));
        settled = settled.map((s) => (s.outcome === 'deferred' && delayed.has(s.rcpt) ? { ...s, delayReported: true } : s));
      } catch (err) {
        log.error({ err, queueId: item.id, rcpts: needs.map((n) => n.rcpt.address), kinds: needs.map((n) => n.kind) }, 'dsn lost');
      }
    }
    for (const s of settled) if (s.outcome === 'deferred' && s.retryAt) this.#noteDue(s.retryAt.getTime());
    for (const s of settled) {
      const fields = { queueId: item.id, rcpt: s.rcpt, from: item.envelope.from };
      if (s.outcome === 'delivered') log.info({ ...fields, status: 'sent', reply: s.reply }, 'recipient delivered');
      else log.info({ ...fields, status: s.outcome, code: s.code, enhanced: s.enhanced, text: s.text, retryAt: s.retryAt }, `recipient ${s.outcome}`);
    }
    try {
      await queue.settle(item.id, settled, this.#o.now());
    } catch (err) {
      log.error({ err, queueId: item.id }, 'cannot settle queue item: it is retried when its lease ends');
    }
  }

  #noteDue(at: number): void {
    if (this.#dues.includes(at)) return;
    this.#dues.push(at);
    this.#dues.sort((a, b) => a - b);
    if (this.#dues.length > 1000) this.#dues.length = 1000;
  }

  /** Runs one agent on its recipients; a throw or a missing recipient becomes a deferral. */
  async #run(route: Route, item: QueueItem, body: () => Promise<Readable>, signal: AbortSignal): Promise<RcptResult[]> {
    let got: RcptResult[] = [];
    try {
      got = await this.#o.agents[route].deliver(item, body, signal);
    } catch (err) {
      this.#o.log.error({ err, queueId: item.id, route }, 'delivery agent failed');
    }
    const wanted = new Set(item.rcpts.map((r) => r.address));
    const out = got.filter((r) => wanted.has(r.rcpt));
    const answered = new Set(out.map((r) => r.rcpt));
    for (const r of item.rcpts) if (!answered.has(r.address)) out.push(internal(r.address, 'Delivery failed'));
    return out;
  }
}
