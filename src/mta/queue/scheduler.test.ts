import test from 'node:test';
import assert from 'node:assert/strict';
import type { QueueItem, RcptResult } from '../../store/index.js';
import type { DeliveryAgent } from '../delivery/index.js';
import { QueueRunner } from './index.js';
import { mtaSystem, REMOTE_NOT_AVAILABLE } from '../../testing/mta-system.js';
import { message } from '../../testing/mta-fixtures.js';

/** An agent that answers from a function and records the recipients it was given. */
function fakeAgent(answer: (rcpt: string, n: number) => Omit<RcptResult, 'rcpt'>): DeliveryAgent & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async deliver(item: QueueItem) {
      calls.push(item.rcpts.map((r) => r.address));
      return item.rcpts.map((r) => ({ rcpt: r.address, ...answer(r.address, calls.length) }) as RcptResult);
    },
  };
}
const tempFail = { outcome: 'deferred', code: 451, enhanced: '4.2.0', text: 'Mailbox busy' } as const;

test('QueueRunner wakes up on notify() after an enqueue, without waiting for the poll', async () => {
  const sys = await mtaSystem();
  await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  assert.equal((await sys.inbox('bob@example.org')).length, 1);
  assert.equal(sys.clock.now().toISOString(), '2026-03-04T05:06:07.000Z', 'no time passed');
});

test('QueueRunner retries a deferred recipient with min * 2^(attempt-1) capped at max, then fails it at the lifetime', async () => {
  const local = fakeAgent(() => tempFail);
  const sys = await mtaSystem({ agents: { local }, runner: { pollMs: 86_400_000 } });
  const id = await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  const t0 = sys.clock.now().getTime();
  const retries: number[] = [];
  for (let guard = 0; guard < 200; guard++) {
    const item = await sys.store.queue.get(id);
    if (!item) break;
    const r = item.rcpts[0]!;
    retries.push((r.nextAttempt.getTime() - sys.clock.now().getTime()) / 1000);
    await sys.tick(r.nextAttempt.getTime() - sys.clock.now().getTime());
  }
  assert.deepEqual(retries.slice(0, 7), [300, 600, 1200, 2400, 4000, 4000, 4000]);
  assert.equal(await sys.store.queue.get(id), undefined, 'expired and removed');
  const end = sys.clock.now().getTime();
  assert.equal(end - t0, 5 * 86_400_000, 'the last attempt is at the lifetime deadline');
  const failed = sys.log.messages('recipient failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!['enhanced'], '5.4.7');
  assert.match(String(failed[0]!['text']), /expired after 5 days in the queue: 451 4\.2\.0 Mailbox busy/);
  assert.deepEqual(sys.dsn.map((d) => d.kind), ['failed']);
  assert.equal(local.calls.length, 1 + retries.length, 'the first attempt and one per retry');
});

test('QueueRunner adds jitter from the injected random source', async () => {
  const sys = await mtaSystem({ agents: { local: fakeAgent(() => tempFail) }, runner: { random: () => 0.5, backoff: { jitter: 0.2 } } });
  const id = await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  const item = await sys.store.queue.get(id);
  assert.equal(item!.rcpts[0]!.nextAttempt.getTime() - sys.clock.now().getTime(), 300_000 * 1.1);
});

test('QueueRunner settles per recipient: only the deferred one is retried', async () => {
  const local = fakeAgent((rcpt) => (rcpt === 'bob@example.org' ? tempFail : { outcome: 'delivered', reply: '250 ok' }));
  const sys = await mtaSystem({ agents: { local } });
  const id = await sys.send({ rcpts: ['ann@example.org', 'bob@example.org'], body: message() });
  await sys.runner.idle();
  await sys.tick(300_000);
  assert.deepEqual(local.calls, [['ann@example.org', 'bob@example.org'], ['bob@example.org']]);
  const item = await sys.store.queue.get(id);
  assert.deepEqual(item!.rcpts.map((r) => [r.state, r.attempts]), [['delivered', 1], ['deferred', 2]]);
});

test('QueueRunner sends local recipients to the local agent and others to the remote agent', async () => {
  const local = fakeAgent(() => ({ outcome: 'delivered', reply: '250 ok' }));
  const sys = await mtaSystem({ agents: { local } });
  const s = await sys.backend.newSession({ id: 'c', remote: '10.0.0.1', remotePort: 1, local: '127.0.0.1', localPort: 587, tls: true, service: 'submission' });
  const { scriptedSasl, bodyStream } = await import('../../testing/mta-fixtures.js');
  if (!('authenticate' in s)) throw new Error('expected an auth session');
  await (s as unknown as { authenticate: (m: string, x: unknown) => Promise<string> }).authenticate('PLAIN', scriptedSasl('\0ann@example.org\0secret'));
  await s.mail('ann@example.org', { smtputf8: false, requireTls: false });
  await s.rcpt('bob@example.org', {});
  await s.rcpt('friend@elsewhere.test', {});
  await s.data(bodyStream(message()), { size: null, bodyType: '7BIT' });
  await sys.runner.idle();
  assert.deepEqual(local.calls, [['bob@example.org']]);
  const [item] = await sys.store.queue.list();
  const remote = item!.rcpts.find((r) => r.address === 'friend@elsewhere.test')!;
  assert.equal(remote.state, 'deferred');
  assert.equal(remote.lastReply, `451 4.4.0 ${REMOTE_NOT_AVAILABLE}`);
});

test('QueueRunner defers every recipient of an agent that throws with 451 4.3.0', async () => {
  const sys = await mtaSystem({
    agents: {
      local: {
        async deliver() {
          throw new Error('boom');
        },
      },
    },
  });
  const id = await sys.send({ rcpts: ['ann@example.org', 'bob@example.org'], body: message() });
  await sys.runner.idle();
  const item = await sys.store.queue.get(id);
  assert.deepEqual(item!.rcpts.map((r) => [r.state, r.lastReply]), [['deferred', '451 4.3.0 Delivery failed'], ['deferred', '451 4.3.0 Delivery failed']]);
  assert.equal(sys.log.messages('delivery agent failed').length, 1);
});

test('QueueRunner reports a DSN need for NOTIFY=SUCCESS deliveries and never for the null sender', async () => {
  const sys = await mtaSystem();
  await sys.send({ rcpts: ['ann@example.org'], notify: ['SUCCESS'], body: message() });
  await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.send({ from: '', rcpts: ['bob@example.org'], notify: ['SUCCESS'], body: message() });
  await sys.runner.idle();
  assert.deepEqual(sys.dsn.map((d) => [d.kind, d.rcpt.address]), [['delivered', 'ann@example.org']]);
});

test('QueueRunner.stop waits for the attempts in flight and claims nothing after', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const begun = new Promise<void>((r) => (started = r));
  let signalSeen: AbortSignal | undefined;
  const sys = await mtaSystem({
    agents: {
      local: {
        async deliver(item, _body, signal) {
          signalSeen = signal;
          started();
          await gate;
          return item.rcpts.map((r) => ({ rcpt: r.address, outcome: 'delivered' as const, reply: '250 ok' }));
        },
      },
    },
  });
  const id = await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await begun;
  let stopped = false;
  const stopping = sys.runner.stop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false, 'stop() waits');
  assert.equal(signalSeen?.aborted, true, 'the agent is told to finish');
  release();
  await stopping;
  assert.equal(await sys.store.queue.get(id), undefined, 'the attempt in flight was settled');
  await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  assert.equal((await sys.store.queue.list()).length, 1, 'a stopped runner claims nothing');
});

test('QueueRunner polls on its timer for retries that come due', async () => {
  let n = 0;
  const sys = await mtaSystem({ agents: { local: fakeAgent(() => (++n === 1 ? tempFail : { outcome: 'delivered', reply: '250 ok' })) }, runner: { pollMs: 60_000 } });
  const id = await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  await sys.tick(240_000);
  assert.ok(await sys.store.queue.get(id), 'not due yet');
  await sys.tick(60_000);
  assert.equal(await sys.store.queue.get(id), undefined);
});

test('QueueRunner refuses a nonsensical configuration', () => {
  const base = { store: {} as never, agents: {} as never, router: {} as never, now: () => new Date(), setTimer: () => () => {}, worker: 'w', log: console };
  assert.throws(() => new QueueRunner({ ...base, concurrency: 0 }), /Cannot create queue runner/);
  assert.throws(() => new QueueRunner({ ...base, backoff: { minMs: 10, maxMs: 1 } }), /Cannot use backoff policy/);
});

test('QueueRunner queues one delay notice per NOTIFY=DELAY recipient once the delay time has passed, before it settles', async () => {
  const local = fakeAgent(() => tempFail);
  const sys = await mtaSystem({ agents: { local }, runner: { pollMs: 86_400_000, delayNoticeMs: 3_600_000 } });
  const id = await sys.send({ rcpts: ['bob@example.org', 'ann@example.org'], notify: ['DELAY', 'FAILURE'], body: message() });
  await sys.runner.idle();
  assert.equal(sys.dsn.length, 0, 'not yet: the message is younger than the delay time');
  // Retries at +300 s, +900 s, +2100 s, +4500 s: the fourth is past one hour.
  for (let i = 0; i < 4; i++) {
    const item = (await sys.store.queue.get(id))!;
    await sys.tick(item.rcpts[0]!.nextAttempt.getTime() - sys.clock.now().getTime());
  }
  assert.deepEqual(sys.dsn.map((d) => [d.kind, d.rcpt.address]), [['delayed', 'bob@example.org'], ['delayed', 'ann@example.org']]);
  const item = (await sys.store.queue.get(id))!;
  assert.deepEqual(item.rcpts.map((r) => r.delayReported), [true, true]);
  const next = item.rcpts[0]!.nextAttempt.getTime() - sys.clock.now().getTime();
  await sys.tick(next);
  assert.equal(sys.dsn.length, 2, 'sent once');
  assert.ok((await sys.store.queue.get(id))!.rcpts[0]!.attempts >= 6);
});

test('QueueRunner queues the report before it settles, and a report that cannot be queued is logged and the attempt still settles', async () => {
  const order: string[] = [];
  let fail = false;
  const local = fakeAgent(() => ({ outcome: 'failed', code: 550, enhanced: '5.2.1', text: 'Mailbox disabled' }));
  const sys = await mtaSystem({
    agents: { local },
    runner: {
      onDsn: () => {
        order.push('dsn');
        if (fail) throw new Error('disk full');
      },
    },
  });
  const settle = sys.store.queue.settle.bind(sys.store.queue);
  sys.store.queue.settle = async (...a) => {
    order.push('settle');
    return settle(...a);
  };
  await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  assert.deepEqual(order, ['dsn', 'settle']);
  fail = true;
  const id = await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  assert.equal(sys.log.messages('dsn lost').length, 1);
  assert.equal(await sys.store.queue.get(id), undefined, 'settled (failed) even so');
});

test('QueueRunner wakes at once for a retry that came due while another delivery was running, not at the next poll', async () => {
  let release!: () => void;
  const slowDone = new Promise<void>((r) => (release = r));
  const attempts: string[] = [];
  const local: DeliveryAgent = {
    async deliver(item) {
      const rcpt = item.rcpts[0]!.address;
      attempts.push(rcpt);
      if (rcpt.startsWith('bob')) {
        await slowDone;
        return [{ rcpt, outcome: 'delivered', reply: '250 ok' }];
      }
      return [{ rcpt, ...tempFail }];
    },
  };
  const sys = await mtaSystem({ agents: { local }, runner: { pollMs: 60_000, backoff: { minMs: 1000, jitter: 0 } } });
  await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.send({ rcpts: ['ann@example.org'], body: message() });
  for (let i = 0; i < 50 && attempts.length < 2; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(attempts.sort(), ['ann@example.org', 'bob@example.org']);
  // The fast one is due again 1 s later; the slow one runs for 3 s.
  sys.clock.advance(3000);
  release();
  await sys.runner.idle();
  await sys.tick(0);
  assert.equal(attempts.filter((a) => a === 'ann@example.org').length, 2, 'retried right after the pass, not 60 s later');
});

test('QueueRunner logs a failed message from the null sender as a double bounce for the postmaster', async () => {
  const local = fakeAgent(() => ({ outcome: 'failed', code: 550, enhanced: '5.2.1', text: 'Mailbox disabled' }));
  const sys = await mtaSystem({ agents: { local } });
  await sys.send({ from: '', rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  assert.equal(sys.dsn.length, 0);
  assert.deepEqual(sys.log.lines.filter((l) => l.msg === 'double bounce').map((l) => [l.level, l.fields['rcpt']]), [['error', 'bob@example.org']]);
});

test('QueueRunner looks again after a second, not at the next poll, when a pass failed', async () => {
  const sys = await mtaSystem({ runner: { pollMs: 60_000 }, start: false });
  const claim = sys.store.queue.claim.bind(sys.store.queue);
  let refuse = true;
  sys.store.queue.claim = async (o) => {
    if (refuse) throw new Error('SQLITE_BUSY: database is locked');
    return claim(o);
  };
  await sys.send({ rcpts: ['bob@example.org'], body: message() });
  sys.runner.start();
  await sys.runner.idle();
  assert.equal(sys.log.messages('queue run failed').length, 1);
  refuse = false;
  await sys.tick(1000);
  assert.equal((await sys.inbox('bob@example.org')).length, 1, 'delivered a second later');
});

test('QueueRunner claims again the items a claim leased beyond its free slots, without waiting for the poll', async () => {
  // A settle is visible to claims at once (its commit) but resolves later (its fsync): a claim made then returns
  // fewer of this runner's own items than it has in flight, and more new items than it has free slots.
  const local = fakeAgent(() => ({ outcome: 'delivered', reply: '250 ok' }));
  const sys = await mtaSystem({ agents: { local }, runner: { pollMs: 60_000, concurrency: 4 }, start: false });
  const settle = sys.store.queue.settle.bind(sys.store.queue);
  const gates: (() => void)[] = [];
  sys.store.queue.settle = async (...a) => {
    await settle(...a);
    await new Promise<void>((r) => gates.push(r));
  };
  for (let i = 0; i < 7; i++) await sys.send({ rcpts: ['bob@example.org'], body: message() });
  let done = false;
  const run = sys.runner.runOnce().finally(() => (done = true));
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 1000 && !f(); i++) await new Promise((r) => setImmediate(r));
  };
  await until(() => gates.length === 4); // the first four are settled, their fsyncs pending
  gates[0]!();
  gates[1]!(); // two slots free; the claim sees three items left and two of its own still in flight
  await until(() => gates.length === 6);
  for (let i = 0; i < 1000 && !done; i++) {
    for (const g of gates) g();
    await new Promise((r) => setImmediate(r));
  }
  await run;
  assert.deepEqual(await sys.store.queue.list(), [], 'every item delivered in one run');
  assert.equal(local.calls.length, 7);
});
