/** Store contract, part 4: the queue (see contract.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QueueItem, Store } from './store.js';
import { envelope, harness, putText, text, type MakeStore } from './contract-kit.js';

const t0 = new Date('2026-01-02T03:04:05.678Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

async function enqueue(store: Store, rcpts: readonly string[], body = 'Subject: q\r\n\r\nbody\r\n') {
  const blob = await putText(store, body);
  const id = await store.queue.enqueue(envelope(rcpts), blob);
  return { id, blob };
}

const ids = (items: readonly QueueItem[]) => items.map((i) => i.id).sort();

export function queueContract(make: MakeStore): void {
  test('Queue.enqueue keeps the envelope and body; every recipient starts pending', async (t) => {
    const { store } = await harness(t, make);
    const { id, blob } = await enqueue(store, ['a@example.org', 'b@remote.test']);
    const item = await store.queue.get(id);
    assert.ok(item);
    assert.equal(item.id, id);
    assert.deepEqual(item.envelope, envelope(['a@example.org', 'b@remote.test']));
    assert.deepEqual(item.body, blob);
    assert.equal(item.held, false);
    assert.equal(item.createdAt.toISOString(), t0.toISOString());
    assert.deepEqual(
      item.rcpts.map((r) => [r.address, r.state, r.attempts, r.nextAttempt.toISOString(), r.lastReply]),
      [
        ['a@example.org', 'pending', 0, t0.toISOString(), undefined],
        ['b@remote.test', 'pending', 0, t0.toISOString(), undefined],
      ],
    );
    assert.deepEqual(item.rcpts[0]?.notify, ['SUCCESS', 'FAILURE']);
    assert.equal(item.rcpts[0]?.orcpt, 'rfc822;a@example.org');
    assert.equal(await text(store, item.body), 'Subject: q\r\n\r\nbody\r\n');
    assert.equal(await store.queue.get('no-such-id'), undefined);
    const nullSender = await store.queue.enqueue(envelope(['a@example.org'], { from: '', ret: undefined, envid: undefined }), blob);
    const ns = await store.queue.get(nullSender);
    assert.equal(ns?.envelope.from, '');
    assert.equal(ns?.envelope.ret, undefined);
    assert.deepEqual((await store.queue.list()).map((i) => i.id), [id, nullSender]);
  });

  test('Queue.enqueue is durable: the item survives a restart, and unique ids come from concurrent calls', async (t) => {
    const h = await harness(t, make);
    const blob = await putText(h.store, 'x\r\n');
    const got = await Promise.all(Array.from({ length: 30 }, (_, i) => h.store.queue.enqueue(envelope([`u${i}@example.org`]), blob)));
    assert.equal(new Set(got).size, 30);
    const store2 = await h.reopen();
    assert.deepEqual((await store2.queue.list()).map((i) => i.id).sort(), [...got].sort());
    assert.equal((await store2.queue.get(got[7]!))?.rcpts[0]?.address, 'u7@example.org');
  });

  test('Queue.claim returns due items up to the limit and skips held and not-yet-due ones', async (t) => {
    const { store } = await harness(t, make);
    const a = await enqueue(store, ['a@x.test']);
    const b = await enqueue(store, ['b@x.test']);
    const c = await enqueue(store, ['c@x.test']);
    assert.deepEqual(await store.queue.claim({ now: later(-1), limit: 10, leaseMs: 1000, worker: 'w1' }), []);
    assert.equal(await store.queue.hold(b.id, true), true);
    const one = await store.queue.claim({ now: t0, limit: 1, leaseMs: 60_000, worker: 'w1' });
    assert.equal(one.length, 1);
    const rest = await store.queue.claim({ now: t0, limit: 10, leaseMs: 60_000, worker: 'w2' });
    assert.deepEqual(ids([...one, ...rest]), [a.id, c.id].sort());
    assert.equal(await store.queue.hold(b.id, false), true);
    assert.deepEqual(ids(await store.queue.claim({ now: t0, limit: 10, leaseMs: 1000, worker: 'w3' })), [b.id]);
    assert.equal(await store.queue.hold('no-such-id', true), false);
  });

  test('Queue.claim never gives two workers the same item while a lease is live; an expired lease is claimable', async (t) => {
    const { store } = await harness(t, make);
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => enqueue(store, [`r${i}@x.test`])));
    const claims = await Promise.all(
      ['w1', 'w2', 'w3', 'w4'].map((worker) => store.queue.claim({ now: t0, limit: 5, leaseMs: 10_000, worker })),
    );
    const all = claims.flat().map((i) => i.id);
    assert.equal(all.length, 12);
    assert.equal(new Set(all).size, 12);
    assert.deepEqual([...all].sort(), made.map((m) => m.id).sort());
    assert.deepEqual(await store.queue.claim({ now: later(9_999), limit: 50, leaseMs: 10_000, worker: 'w5' }), []);
    const again = await store.queue.claim({ now: later(10_000), limit: 50, leaseMs: 10_000, worker: 'w5' });
    assert.equal(again.length, 12);
    const w1 = claims[0]!.map((i) => i.id);
    assert.deepEqual(await store.queue.claim({ now: later(10_001), limit: 50, leaseMs: 10_000, worker: 'w1' }), []);
    assert.deepEqual(w1.length, 5);
    // "Not leased by another worker": the holder of a live lease gets the item again (a restarted worker resumes).
    assert.equal((await store.queue.claim({ now: later(10_002), limit: 50, leaseMs: 10_000, worker: 'w5' })).length, 12);
  });

  test('Queue.settle records delivered, deferred and failed per recipient and ends the lease', async (t) => {
    const { store } = await harness(t, make);
    const { id } = await enqueue(store, ['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test']);
    await store.queue.claim({ now: t0, limit: 1, leaseMs: 600_000, worker: 'w1' });
    const retryAt = later(300_000);
    await store.queue.settle(
      id,
      [
        { rcpt: 'a@x.test', outcome: 'delivered', reply: '250 2.0.0 Ok: queued as 1', remoteMta: 'mx.x.test' },
        { rcpt: 'b@x.test', outcome: 'deferred', code: 451, enhanced: '4.7.1', text: 'Greylisted', retryAt },
        { rcpt: 'c@x.test', outcome: 'failed', code: 550, enhanced: '5.1.1', text: 'No such user' },
      ],
      later(1),
    );
    const item = (await store.queue.get(id))!;
    const by = new Map(item.rcpts.map((r) => [r.address, r]));
    assert.deepEqual([by.get('a@x.test')?.state, by.get('a@x.test')?.attempts, by.get('a@x.test')?.remoteMta], ['delivered', 1, 'mx.x.test']);
    assert.match(by.get('a@x.test')?.lastReply ?? '', /250 2\.0\.0 Ok/);
    assert.deepEqual([by.get('b@x.test')?.state, by.get('b@x.test')?.attempts], ['deferred', 1]);
    assert.equal(by.get('b@x.test')?.nextAttempt.toISOString(), retryAt.toISOString());
    assert.match(by.get('b@x.test')?.lastReply ?? '', /451.*4\.7\.1.*Greylisted/);
    assert.deepEqual([by.get('c@x.test')?.state, by.get('c@x.test')?.attempts], ['failed', 1]);
    assert.match(by.get('c@x.test')?.lastReply ?? '', /550.*No such user/);
    assert.deepEqual([by.get('d@x.test')?.state, by.get('d@x.test')?.attempts], ['pending', 0]);
    // The lease ended: another worker gets the item at once, because d is still due.
    assert.deepEqual(ids(await store.queue.claim({ now: later(2), limit: 5, leaseMs: 1000, worker: 'w2' })), [id]);
    await store.queue.settle(id, [{ rcpt: 'd@x.test', outcome: 'deferred', code: 421, text: 'Try later', retryAt }], later(3));
    assert.deepEqual(await store.queue.claim({ now: later(299_999), limit: 5, leaseMs: 1000, worker: 'w3' }), []);
    assert.deepEqual(ids(await store.queue.claim({ now: retryAt, limit: 5, leaseMs: 1000, worker: 'w3' })), [id]);
  });

  test('Queue.settle records when each recipient was last tried, and a delay notice once sent stays recorded', async (t) => {
    const { store } = await harness(t, make);
    const { id } = await enqueue(store, ['a@x.test', 'b@x.test']);
    assert.equal((await store.queue.get(id))!.rcpts[0]?.lastAttempt, undefined);
    const retryAt = later(300_000);
    const defer = (rcpt: string, delayReported?: boolean) =>
      ({ rcpt, outcome: 'deferred', code: 451, text: 'Try later', retryAt, ...(delayReported ? { delayReported } : {}) }) as const;
    await store.queue.settle(id, [defer('a@x.test', true), defer('b@x.test')], later(10));
    let item = (await store.queue.get(id))!;
    assert.deepEqual(
      item.rcpts.map((r) => [r.address, r.lastAttempt?.toISOString(), r.delayReported === true]),
      [
        ['a@x.test', later(10).toISOString(), true],
        ['b@x.test', later(10).toISOString(), false],
      ],
    );
    // A later deferral without the flag keeps it: the notice is sent once per recipient.
    await store.queue.settle(id, [defer('a@x.test'), defer('b@x.test')], later(20));
    item = (await store.queue.get(id))!;
    assert.deepEqual(item.rcpts.map((r) => [r.lastAttempt?.toISOString(), r.delayReported === true]), [
      [later(20).toISOString(), true],
      [later(20).toISOString(), false],
    ]);
  });

  test('Queue.settle refuses a result for an unknown recipient and changes nothing', async (t) => {
    const { store } = await harness(t, make);
    const { id } = await enqueue(store, ['a@x.test']);
    await assert.rejects(
      store.queue.settle(id, [{ rcpt: 'a@x.test', outcome: 'delivered', reply: '250 ok' }, { rcpt: 'z@x.test', outcome: 'delivered', reply: '250 ok' }], t0),
    );
    assert.deepEqual((await store.queue.get(id))?.rcpts.map((r) => r.state), ['pending']);
    await store.queue.settle('no-such-id', [], t0);
  });

  test('Queue.settle removes the item and its blob once no recipient is pending or deferred', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    const { id, blob } = await enqueue(h.store, ['a@x.test', 'b@x.test']);
    assert.equal(await h.storedBlobs(), before + 1);
    await h.store.queue.settle(id, [{ rcpt: 'a@x.test', outcome: 'delivered', reply: '250 ok' }], t0);
    assert.ok(await h.store.queue.get(id));
    await h.store.queue.settle(id, [{ rcpt: 'b@x.test', outcome: 'failed', code: 550, text: 'no' }], t0);
    assert.equal(await h.store.queue.get(id), undefined);
    assert.equal(await h.storedBlobs(), before);
    await assert.rejects(h.store.blobs.get(blob));
  });

  test('Queue.retryNow makes deferred recipients due, of every item or of one', async (t) => {
    const { store } = await harness(t, make);
    const a = await enqueue(store, ['a@x.test']);
    const b = await enqueue(store, ['b@x.test']);
    await enqueue(store, ['c@x.test']);
    for (const x of [a, b]) {
      await store.queue.settle(x.id, [{ rcpt: x === a ? 'a@x.test' : 'b@x.test', outcome: 'deferred', code: 451, text: 'later', retryAt: later(3_600_000) }], t0);
    }
    assert.equal(await store.queue.retryNow(a.id), 1);
    assert.ok((await store.queue.get(a.id))!.rcpts[0]!.nextAttempt.getTime() <= t0.getTime());
    assert.equal((await store.queue.get(a.id))!.rcpts[0]!.state, 'deferred');
    assert.equal((await store.queue.get(b.id))!.rcpts[0]!.nextAttempt.toISOString(), later(3_600_000).toISOString());
    assert.equal(await store.queue.retryNow(), 2);
    const due = await store.queue.claim({ now: t0, limit: 10, leaseMs: 1000, worker: 'w' });
    assert.equal(due.length, 3);
    assert.equal(await store.queue.retryNow('no-such-id'), 0);
  });

  test('Queue.delete removes an item and its blob; counts classes items as pending, deferred or held', async (t) => {
    const h = await harness(t, make);
    const store = h.store;
    assert.deepEqual(await store.queue.counts(), { items: 0, pending: 0, deferred: 0, held: 0 });
    const before = await h.storedBlobs();
    const a = await enqueue(store, ['a@x.test', 'a2@x.test']);
    const b = await enqueue(store, ['b@x.test']);
    const c = await enqueue(store, ['c@x.test']);
    await store.queue.settle(a.id, [{ rcpt: 'a@x.test', outcome: 'deferred', code: 451, text: 'later', retryAt: later(1) }], t0);
    await store.queue.hold(c.id, true);
    assert.deepEqual(await store.queue.counts(), { items: 3, pending: 1, deferred: 1, held: 1 });
    assert.equal(await store.queue.delete(b.id), true);
    assert.equal(await store.queue.delete(b.id), false);
    assert.equal(await store.queue.get(b.id), undefined);
    assert.equal(await h.storedBlobs(), before + 2);
    assert.deepEqual(await store.queue.counts(), { items: 2, pending: 0, deferred: 1, held: 1 });
    assert.equal((await store.queue.get(c.id))?.held, true);
  });
}
