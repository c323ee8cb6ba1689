import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeStoreContract } from '../contract.js';
import { openSqliteStore, type CommitMode, type SqliteStore } from './index.js';

async function harness(commit: CommitMode) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'postroom-sqlite-'));
  let store: SqliteStore = await openSqliteStore({ dataDir, commit });
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      return (store = await openSqliteStore({ dataDir, commit }));
    },
    storedBlobs: () => store.blobs.countFiles(),
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describeStoreContract('SqliteStore', () => harness('wal-fsync'));
describeStoreContract("SqliteStore with commit 'sqlite-full'", () => harness('sqlite-full'));

test('openSqliteStore example: a store in a fresh data directory', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'postroom-sqlite-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const store = await openSqliteStore({ dataDir });
  await store.domains.add('example.org');
  assert.deepEqual(await store.domains.list(), ['example.org']);
  await store.close();
});

test('SqliteQueue.claim walks the due index: distinct items, earliest due recipient first, at most `limit`', async (t) => {
  const { envelope, putText } = await import('../contract-kit.js');
  const h = await harness('wal-fsync');
  t.after(() => h.cleanup());
  const q = h.store.queue;
  const at = (s: number) => new Date(Date.UTC(2026, 0, 2, 3, 0, s));
  const blob = await putText(h.store, 'queued\r\n');
  // Three recipients each, so a claim that did not skip repeats would return an item twice.
  const a = await q.enqueue(envelope(['a1@x.test', 'a2@x.test', 'a3@x.test'], { receivedAt: at(10) }), blob);
  const b = await q.enqueue(envelope(['b1@x.test', 'b2@x.test'], { receivedAt: at(5) }), blob);
  const c = await q.enqueue(envelope(['c1@x.test'], { receivedAt: at(20) }), blob);
  const held = await q.enqueue(envelope(['h1@x.test'], { receivedAt: at(1) }), blob);
  await q.hold(held, true);
  // a's second recipient is deferred to later; its first stays due at 10 s, so a still sorts before c.
  await q.settle(a, [{ rcpt: 'a2@x.test', outcome: 'deferred', code: 451, text: 'later', retryAt: at(50) }], at(10));
  const claim = (limit: number, worker: string, s = 30) => q.claim({ now: at(s), limit, leaseMs: 60_000, worker });
  assert.deepEqual((await claim(2, 'w1')).map((i) => i.id), [b, a]);
  assert.deepEqual((await claim(5, 'w2')).map((i) => i.id), [c], 'leased to w1: skipped by w2');
  assert.deepEqual((await claim(5, 'w1')).map((i) => i.id), [b, a], 'its own leases: claimed again by w1');
  assert.deepEqual((await claim(5, 'w3', 4)).map((i) => i.id), [], 'nothing due yet (the held one is skipped)');
  assert.deepEqual(await claim(0, 'w3'), []);
});
