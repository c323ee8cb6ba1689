import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, type Queue, type QueueItem } from '../../store/index.js';
import { readAll } from '../../store/contract-kit.js';
import { RecordingLogger } from '../../testing/mta-fixtures.js';
import { createDsnSender } from './dsn-sender.js';
import { SUBJECT_FAILED, SUBJECT_SUCCESS } from './dsn-text.js';
import { accepted, need, NOW, queued, readBack, tryLater, userUnknown } from '../../testing/dsn-kit.js';

/** The queue items made here (from <>, protocol LOCAL: the reports), and their stored bodies read back. */
async function reports(store: MemoryStore): Promise<{ item: QueueItem; read: Awaited<ReturnType<typeof readBack>> }[]> {
  const out = [];
  for (const item of await store.queue.list()) {
    if (item.envelope.from !== '' || item.envelope.client.protocol !== 'LOCAL') continue;
    out.push({ item, read: await readBack(await readAll(await store.blobs.get(item.body))) });
  }
  return out;
}

test('createDsnSender TSDoc example: the reports are in the queue when onDsn resolves', async () => {
  const q = await queued();
  const log = new RecordingLogger();
  let notified = 0;
  const onDsn = createDsnSender({ store: q.store, reportingMta: 'mx.x.test', now: () => new Date(), log, queued: () => notified++ });
  await onDsn([need(q.item, 'failed', userUnknown('bob@y.test'))]);
  assert.equal((await reports(q.store)).length, 1);
  assert.equal(notified, 1);
});

test('createDsnSender queues one report per queue item, to each sender from <>, logs "dsn queued" and calls queued() once', async () => {
  const store = new MemoryStore();
  const a = await queued({ store, from: 'ann@x.test', rcpts: ['bob@y.test', 'carl@y.test'], env: { envid: 'A-1' } });
  const b = await queued({ store, from: 'dora@x.test', rcpts: [{ address: 'eve@y.test', notify: ['SUCCESS'] }] });
  const log = new RecordingLogger();
  let notified = 0;
  const onDsn = createDsnSender({ store, reportingMta: 'mx.x.test', now: () => NOW, log, queued: () => notified++ });
  await onDsn([
    need(a.item, 'failed', userUnknown('bob@y.test')),
    need(b.item, 'delivered', accepted('eve@y.test')),
    need(a.item, 'delayed', tryLater('carl@y.test')),
  ]);
  assert.equal(notified, 1);
  const got = await reports(store);
  assert.equal(got.length, 2);
  const toAnn = got.find((g) => g.item.envelope.rcpts[0]?.address === 'ann@x.test')!;
  const toDora = got.find((g) => g.item.envelope.rcpts[0]?.address === 'dora@x.test')!;
  assert.deepEqual(toAnn.item.rcpts.map((r) => [r.address, r.notify, r.state]), [['ann@x.test', undefined, 'pending']]);
  assert.equal(toAnn.read.parsed.subject, SUBJECT_FAILED);
  assert.equal(toAnn.read.report.fields['original-envelope-id'], 'A-1');
  assert.deepEqual(toAnn.read.report.recipients.map((r) => [r['final-recipient'], r['action']]), [
    ['rfc822; bob@y.test', 'failed'],
    ['rfc822; carl@y.test', 'delayed'],
  ]);
  assert.equal(toDora.read.parsed.subject, SUBJECT_SUCCESS);
  assert.deepEqual(toDora.read.report.recipients.map((r) => r['action']), ['delivered']);
  const lines = log.messages('dsn queued');
  assert.deepEqual(lines, [
    { queueId: a.item.id, dsnId: toAnn.item.id, kinds: ['failed', 'delayed'], rcpts: ['bob@y.test', 'carl@y.test'], to: 'ann@x.test' },
    { queueId: b.item.id, dsnId: toDora.item.id, kinds: ['delivered'], rcpts: ['eve@y.test'], to: 'dora@x.test' },
  ]);
  assert.equal(toAnn.item.body.size, toAnn.read.raw.length);
});

test('createDsnSender never reports on a message from <>: nothing is queued and a double bounce is logged for the postmaster', async () => {
  const q = await queued({ from: '' });
  const log = new RecordingLogger();
  let notified = 0;
  const onDsn = createDsnSender({ store: q.store, reportingMta: 'mx.x.test', now: () => NOW, log, queued: () => notified++ });
  await onDsn([need(q.item, 'failed', userUnknown('bob@y.test'))]);
  assert.equal(notified, 0);
  assert.deepEqual(await reports(q.store), []);
  assert.equal((await q.store.queue.list()).length, 1, 'only the original');
  const [line] = log.lines.filter((l) => l.msg === 'double bounce');
  assert.equal(line?.level, 'error');
  assert.deepEqual(line?.fields, { queueId: q.item.id, kinds: ['failed'], rcpts: ['bob@y.test'], postmaster: 'postmaster@mx.x.test' });
});

test('createDsnSender tries every item when one cannot be queued, then rejects with the first error', async () => {
  const store = new MemoryStore();
  const a = await queued({ store });
  const b = await queued({ store, from: 'dora@x.test' });
  let calls = 0;
  const queue: Queue = Object.create(store.queue) as Queue;
  queue.enqueue = async (env, blob) => {
    if (calls++ === 0) throw new Error('disk full');
    return store.queue.enqueue(env, blob);
  };
  const log = new RecordingLogger();
  let notified = 0;
  const onDsn = createDsnSender({ store: { blobs: store.blobs, queue }, reportingMta: 'mx.x.test', now: () => NOW, log, queued: () => notified++ });
  await assert.rejects(onDsn([need(a.item, 'failed', userUnknown('bob@y.test')), need(b.item, 'failed', userUnknown('bob@y.test'))]), /disk full/);
  assert.equal(notified, 1);
  assert.deepEqual((await reports(store)).map((r) => r.item.envelope.rcpts[0]?.address), ['dora@x.test']);
});

test('createDsnSender passes maxFullBytes, lifetimeMs, tzOffsetMinutes and postmaster to the report', async () => {
  const q = await queued({ message: `Subject: big\r\n\r\n${'x'.repeat(70)}\r\n`.repeat(100), env: { ret: 'FULL' } });
  const log = new RecordingLogger();
  const onDsn = createDsnSender({ store: q.store, reportingMta: 'mx.x.test', now: () => NOW, log, maxFullBytes: 1000, lifetimeMs: 2 * 86_400_000, tzOffsetMinutes: 120, postmaster: 'help@x.test' });
  await onDsn([need(q.item, 'delayed', tryLater('bob@y.test'))]);
  const [r] = await reports(q.store);
  assert.ok(r);
  assert.ok(r.read.parsed.parts.some((p) => p.contentType === 'text/rfc822-headers'));
  assert.equal(r.read.report.recipients[0]?.['will-retry-until'], 'Tue, 03 Mar 2026 10:00:00 +0200');
  assert.match(r.read.report.text ?? '', /<help@x\.test>/);
  assert.match(r.read.report.text ?? '', /larger than 1000 bytes/);
});
