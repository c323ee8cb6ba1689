/**
 * The whole receiving MTA wired for tests: submit backend → MemoryStore queue → QueueRunner → local delivery
 * (and a remote agent that defers everything), on a FakeClock.
 */
import {
  createLocalDelivery,
  createResolver,
  createRouter,
  createAtOnce,
  createSubmitBackend,
  forwardByQueue,
  QueueRunner,
  type DeliveryAgent,
  type DsnNeed,
  type QueueRunnerOptions,
} from '../mta/index.js';
import type { SmtpBackend } from '../smtp/server/index.js';
import type { MessageRecord } from '../store/index.js';
import { FakeClock } from './mta-clock.js';
import { RecordingLogger, bodyStream, conn, mtaWorld, text, type MtaWorld } from './mta-fixtures.js';

/** The text of the default remote agent's deferral in these tests (no network: remote mail stays queued). */
export const REMOTE_NOT_AVAILABLE = 'Remote delivery is not available in this test';

/** A remote agent that defers every recipient with `451 4.4.0 REMOTE_NOT_AVAILABLE`. */
export function deferringRemoteAgent(): DeliveryAgent {
  return {
    async deliver(item) {
      return item.rcpts.map((r) => ({ rcpt: r.address, outcome: 'deferred' as const, code: 451, enhanced: '4.4.0', text: REMOTE_NOT_AVAILABLE }));
    },
  };
}

export interface MtaSystem extends MtaWorld {
  readonly clock: FakeClock;
  readonly log: RecordingLogger;
  readonly backend: SmtpBackend;
  readonly runner: QueueRunner;
  readonly local: DeliveryAgent;
  readonly dsn: DsnNeed[];
  /** Sends one message over port 25 (as from a remote MTA) and returns the queue id. */
  send(o: { from?: string; rcpts: string[]; body: string; notify?: readonly ('NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY')[] }): Promise<string>;
  /** Advances the clock by `ms`, letting the runner finish the work of each timer that fires on the way. */
  tick(ms: number): Promise<void>;
  /** The messages of a user's INBOX with their stored text. */
  inbox(address: string): Promise<{ record: MessageRecord; text: string }[]>;
}

export async function mtaSystem(
  o: { aliases?: Record<string, string[]>; agents?: Partial<QueueRunnerOptions['agents']>; runner?: Partial<QueueRunnerOptions>; start?: boolean; atOnce?: boolean } = {},
): Promise<MtaSystem> {
  const world = await mtaWorld(o.aliases ? { aliases: o.aliases } : {});
  const { store } = world;
  const clock = new FakeClock('2026-03-04T05:06:07Z');
  const log = new RecordingLogger();
  const router = createRouter(store.domains);
  const resolver = createResolver({ users: store.users, aliases: store.aliases, router });
  let wake = (): void => {};
  const local = createLocalDelivery({ store, resolver, hostname: 'mx.example.org', now: clock.now, log, forward: forwardByQueue(store.queue, clock.now, () => wake()) });
  const dsn: DsnNeed[] = [];
  const runner = new QueueRunner({
    store,
    agents: { local: o.agents?.local ?? local, remote: o.agents?.remote ?? deferringRemoteAgent() },
    router,
    now: clock.now,
    setTimer: clock.setTimer,
    worker: 'w1',
    concurrency: 4,
    leaseMs: 60_000,
    backoff: { jitter: 0 },
    random: () => 0,
    log,
    onDsn: (needs) => {
      dsn.push(...needs);
    },
    ...o.runner,
  });
  wake = () => runner.notify();
  const backend = createSubmitBackend({
    store,
    hostname: 'mx.example.org',
    maxMessageBytes: 1 << 20,
    now: clock.now,
    log,
    queued: () => runner.notify(),
    ...(o.atOnce ? { atOnce: createAtOnce({ store, hostname: 'mx.example.org', log }) } : {}),
  });
  // Started by default: an enqueue wakes the runner through notify(), and `await runner.idle()` waits for it.
  if (o.start !== false) runner.start();
  return {
    ...world,
    clock,
    log,
    backend,
    runner,
    local,
    dsn,
    async send(m) {
      const s = await backend.newSession(conn('smtp', { helo: 'relay.remote.test', remote: '203.0.113.9' }));
      await s.mail(m.from ?? 'sender@remote.test', { smtputf8: false, requireTls: false });
      for (const r of m.rcpts) await s.rcpt(r, m.notify ? { notify: m.notify } : {});
      const reply = String(await s.data(bodyStream(m.body, 5), { size: null, bodyType: '7BIT' }));
      await s.close();
      const id = /queued as (\S+)$/.exec(reply)?.[1];
      if (!id) throw new Error(`Unexpected data() reply: ${reply}`);
      return id;
    },
    tick: (ms) => clock.advanceAsync(ms, () => runner.idle()),
    async inbox(address) {
      const user = await store.users.get(address);
      if (!user) throw new Error(`No user ${address}`);
      const box = await store.mailbox(user.id);
      const out: { record: MessageRecord; text: string }[] = [];
      for await (const record of box.list()) out.push({ record, text: await text(await box.open(record.uid)) });
      return out;
    },
  };
}
