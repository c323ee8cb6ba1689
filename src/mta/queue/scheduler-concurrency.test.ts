/**
 * QueueRunner under concurrency: concurrent enqueues, the `concurrency` limit, claiming again as slots free up and
 * while a run is in progress (split from scheduler.test.ts).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import type { QueueItem } from '../../store/index.js';
import type { DeliveryAgent } from '../delivery/index.js';
import { mtaSystem } from '../../testing/mta-system.js';
import { message } from '../../testing/mta-fixtures.js';

test('QueueRunner delivers every message of concurrent enqueues without waiting for a timer', async () => {
  const sys = await mtaSystem({ runner: { concurrency: 2 } });
  await Promise.all(Array.from({ length: 9 }, (_, i) => sys.send({ rcpts: ['bob@example.org'], body: message({ subject: `m${i}` }) })));
  await sys.runner.idle();
  assert.equal((await sys.inbox('bob@example.org')).length, 9);
  assert.equal((await sys.store.queue.list()).length, 0);
});

/** An agent whose deliveries wait until `release(id)`, recording how many run at once and any item run twice at once. */
function gatedAgent(): DeliveryAgent & { active: Set<string>; max: number; twice: string[]; started: string[]; release: (id?: string) => void; waitStarted: (n: number) => Promise<void> } {
  const gates = new Map<string, () => void>();
  const waiters: (() => void)[] = [];
  const a = {
    active: new Set<string>(),
    max: 0,
    twice: [] as string[],
    started: [] as string[],
    async deliver(item: QueueItem) {
      if (a.active.has(item.id)) a.twice.push(item.id);
      a.active.add(item.id);
      a.max = Math.max(a.max, a.active.size);
      a.started.push(item.id);
      for (const w of waiters.splice(0)) w();
      await new Promise<void>((r) => gates.set(item.id, r));
      a.active.delete(item.id);
      return item.rcpts.map((r) => ({ rcpt: r.address, outcome: 'delivered' as const, reply: '250 ok' }));
    },
    release(id?: string) {
      for (const [k, open] of [...gates]) if (id === undefined || k === id) (gates.delete(k), open());
    },
    async waitStarted(n: number) {
      while (a.started.length < n) await new Promise<void>((r) => waiters.push(r));
    },
  };
  return a;
}

test('QueueRunner runs at most `concurrency` attempts at once and never one item twice at once', async () => {
  const local = gatedAgent();
  const sys = await mtaSystem({ agents: { local }, runner: { concurrency: 3 } });
  await Promise.all(Array.from({ length: 10 }, (_, i) => sys.send({ rcpts: ['bob@example.org'], body: message({ subject: `m${i}` }) })));
  await local.waitStarted(3);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(local.active.size, 3, 'three attempts run at once');
  // A concurrent runOnce (queue flush) and more notifies must neither exceed the bound nor repeat an item in flight.
  const flush = sys.runner.runOnce();
  sys.runner.notify();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(local.active.size, 3);
  while (local.started.length < 10 || local.active.size > 0) {
    local.release();
    await new Promise((r) => setTimeout(r, 5));
  }
  await flush;
  await sys.runner.idle();
  assert.equal(local.max, 3);
  assert.deepEqual(local.twice, []);
  assert.equal(new Set(local.started).size, 10, 'each item attempted once');
  assert.equal((await sys.store.queue.list()).length, 0);
});

test('QueueRunner claims again as slots free up: one slow delivery does not hold back the others', async () => {
  const local = gatedAgent();
  const sys = await mtaSystem({ agents: { local }, runner: { concurrency: 4 } });
  await Promise.all(Array.from({ length: 12 }, (_, i) => sys.send({ rcpts: ['bob@example.org'], body: message({ subject: `m${i}` }) })));
  await local.waitStarted(1);
  const slow = local.started[0]!;
  // Release everything but the first item until the other eleven were attempted (lock-step batches would hang).
  for (let guard = 0; local.started.length < 12; guard++) {
    assert.ok(guard < 1000, `stuck after ${local.started.length} attempts`);
    for (const id of [...local.active]) if (id !== slow) local.release(id);
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.ok(local.active.has(slow), 'the slow one is still running');
  assert.ok(local.max <= 4);
  local.release();
  for (let guard = 0; local.active.size > 0 && guard < 1000; guard++) {
    local.release();
    await new Promise((r) => setTimeout(r, 2));
  }
  await sys.runner.idle();
  assert.equal((await sys.store.queue.list()).length, 0);
  assert.deepEqual(local.twice, []);
});

test('QueueRunner claims items enqueued while a run is in progress without waiting for the run to end', async () => {
  const local = gatedAgent();
  const sys = await mtaSystem({ agents: { local }, runner: { concurrency: 4, pollMs: 86_400_000 } });
  await sys.send({ rcpts: ['bob@example.org'], body: message({ subject: 'first' }) });
  await local.waitStarted(1);
  await sys.send({ rcpts: ['bob@example.org'], body: message({ subject: 'second' }) });
  await local.waitStarted(2);
  assert.equal(local.active.size, 2, 'the second runs beside the first');
  local.release();
  await new Promise((r) => setTimeout(r, 5));
  local.release();
  await sys.runner.idle();
  assert.equal((await sys.inbox('bob@example.org')).length, 0, 'the gated agent stored nothing');
  assert.equal((await sys.store.queue.list()).length, 0);
});
