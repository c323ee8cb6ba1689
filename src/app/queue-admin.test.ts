import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Store } from '../store/index.js';
import { envelope, putText } from '../store/contract-kit.js';
import { tempDir } from '../testing/app-cli.js';
import { AdminError } from './admin.js';
import {
  deleteQueueItem,
  getQueueItem,
  holdQueueItem,
  isOpenRcpt,
  listQueue,
  printable,
  readQueuedHeader,
  retryQueue,
  showQueueItem,
} from './queue-admin.js';
import { openStore } from './wiring.js';

const t0 = new Date('2026-01-02T03:04:05.678Z');
const later = (ms: number): Date => new Date(t0.getTime() + ms);

/** A real SQLite store in a temporary data directory, closed when the test ends. */
async function sqliteStore(t: { after(fn: () => void | Promise<void>): void }): Promise<Store> {
  const store = await openStore({ dataDir: path.join(tempDir(t), 'data') }, { create: true });
  t.after(() => store.close());
  return store;
}

async function enqueue(store: Store, rcpts: readonly string[], o: { body?: string; at?: Date } = {}): Promise<string> {
  const blob = await putText(store, o.body ?? 'From: a@remote.test\r\nSubject: q\r\n\r\nbody\r\n');
  return store.queue.enqueue(envelope(rcpts, { receivedAt: o.at ?? t0 }), blob);
}

/** Defers every listed recipient until `retryAt` (as a failed remote attempt would). */
async function defer(store: Store, id: string, rcpts: readonly string[], retryAt: Date): Promise<void> {
  await store.queue.settle(id, rcpts.map((rcpt) => ({ rcpt, outcome: 'deferred', code: 451, enhanced: '4.4.0', text: 'Try later', retryAt }) as const), t0);
}

const notFound = (id: string) => (err: unknown) => err instanceof AdminError && err.kind === 'not-found' && err.message === `no queued message ${id}`;

test('listQueue returns the items oldest first; getQueueItem refuses an unknown id with AdminError not-found', async (t) => {
  const store = await sqliteStore(t);
  const newer = await enqueue(store, ['b@far.test'], { at: later(5000) });
  const older = await enqueue(store, ['a@far.test'], { at: t0 });
  assert.deepEqual((await listQueue(store)).map((i) => i.id), [older, newer]);
  assert.equal((await getQueueItem(store, newer)).rcpts[0]?.address, 'b@far.test');
  await assert.rejects(getQueueItem(store, 'Q123'), notFound('Q123'));
  assert.deepEqual(await listQueue(await sqliteStore(t)), []);
});

test('readQueuedHeader stops at the empty line (CRLF or LF), reads at most maxBytes, and says when it cut', async (t) => {
  const store = await sqliteStore(t);
  const header = async (body: string, max?: number) => readQueuedHeader(store, await getQueueItem(store, await enqueue(store, ['a@far.test'], { body })), max);
  assert.deepEqual(await header('From: a\r\nSubject: hi\r\n\r\nbody\r\n\r\nmore\r\n'), { text: 'From: a\r\nSubject: hi\r\n', truncated: false });
  assert.deepEqual(await header('From: a\nSubject: hi\n\nbody\n'), { text: 'From: a\nSubject: hi\n', truncated: false });
  assert.deepEqual(await header('\r\nonly a body\r\n'), { text: '', truncated: false });
  assert.deepEqual(await header('Subject: no body\r\n'), { text: 'Subject: no body\r\n', truncated: false });
  const long = `Subject: ${'x'.repeat(200)}\r\n\r\nbody\r\n`;
  assert.deepEqual(await header(long, 64), { text: long.slice(0, 64), truncated: true });
  // SMTPUTF8 headers are shown as UTF-8 (putText stores each character as one byte).
  const utf8 = Buffer.from('Subject: caf\u00e9\r\n\r\n').toString('latin1');
  assert.deepEqual(await header(utf8), { text: 'Subject: caf\u00e9\r\n', truncated: false });
});

test('showQueueItem returns the item and its header; an unknown id is not-found', async (t) => {
  const store = await sqliteStore(t);
  const id = await enqueue(store, ['a@far.test', 'b@far.test']);
  const detail = await showQueueItem(store, id);
  assert.equal(detail.item.id, id);
  assert.equal(detail.item.envelope.envid, 'ENV-1');
  assert.deepEqual(detail.header, { text: 'From: a@remote.test\r\nSubject: q\r\n', truncated: false });
  await assert.rejects(showQueueItem(store, 'nope'), notFound('nope'));
});

test('retryQueue makes deferred recipients due now (all, or one item), counts open recipients and reports held items', async (t) => {
  const store = await sqliteStore(t);
  const far = new Date(Date.now() + 3_600_000);
  const a = await enqueue(store, ['a1@far.test', 'a2@far.test']);
  const b = await enqueue(store, ['b@far.test']);
  const c = await enqueue(store, ['c@far.test']);
  await defer(store, a, ['a1@far.test', 'a2@far.test'], far);
  await defer(store, b, ['b@far.test'], far);
  await defer(store, c, ['c@far.test'], far);
  await holdQueueItem(store, c, true);
  const due = async (id: string) => (await getQueueItem(store, id)).rcpts.map((r) => r.nextAttempt.getTime() <= Date.now());

  assert.deepEqual(await retryQueue(store, a), { recipients: 2, messages: 1, held: [] });
  assert.deepEqual(await due(a), [true, true]);
  assert.deepEqual(await due(b), [false]);
  assert.deepEqual((await getQueueItem(store, a)).rcpts.map((r) => [r.state, r.attempts, r.lastReply]), [
    ['deferred', 1, '451 4.4.0 Try later'],
    ['deferred', 1, '451 4.4.0 Try later'],
  ]);

  assert.deepEqual(await retryQueue(store), { recipients: 3, messages: 3, held: [c] });
  assert.deepEqual(await due(b), [true]);
  assert.deepEqual(await retryQueue(store, c), { recipients: 0, messages: 1, held: [c] });
  await assert.rejects(retryQueue(store, 'Q123'), notFound('Q123'));
});

test('holdQueueItem toggles held (claim skips a held item); deleteQueueItem removes it; unknown ids are not-found', async (t) => {
  const store = await sqliteStore(t);
  const id = await enqueue(store, ['a@far.test']);
  await holdQueueItem(store, id, true);
  assert.equal((await getQueueItem(store, id)).held, true);
  assert.deepEqual(await store.queue.claim({ now: later(1000), limit: 10, leaseMs: 1000, worker: 'w' }), []);
  await holdQueueItem(store, id, false);
  assert.equal((await getQueueItem(store, id)).held, false);
  await assert.rejects(holdQueueItem(store, 'Q1', true), notFound('Q1'));
  await deleteQueueItem(store, id);
  assert.deepEqual(await listQueue(store), []);
  await assert.rejects(deleteQueueItem(store, id), notFound(id));
});

test('isOpenRcpt: pending and deferred recipients are still to deliver, delivered and failed ones are final', () => {
  assert.deepEqual((['pending', 'deferred', 'delivered', 'failed'] as const).map((state) => isOpenRcpt({ state })), [true, true, false, false]);
});

test('printable escapes control characters (C0 but tab, DEL, C1) and keeps the rest', () => {
  assert.equal(printable('Subject: \x1b[2Jhi'), 'Subject: \\x1b[2Jhi');
  assert.equal(printable('a\tb\r\nc\x7f\u009bd \u00e9\u4e2d'), 'a\tb\\x0d\\x0ac\\x7f\\u009bd \u00e9\u4e2d');
});
