import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeStoreContract } from '../contract.js';
import { sqliteHarness } from '../harnesses.js';
import { openSqliteStore } from './index.js';

describeStoreContract('SqliteStore', () => sqliteHarness());
describeStoreContract("SqliteStore with commit 'sqlite-full'", () => sqliteHarness({ commit: 'sqlite-full' }));
describeStoreContract('SqliteStore with every body in a file (inlineMaxBytes 0)', () => sqliteHarness({ inlineMaxBytes: 0 }));

test('SqliteBlobStore keeps a body up to inlineMaxBytes in the database and streams a larger one to a file', async (t) => {
  const { Readable } = await import('node:stream');
  const { createHash } = await import('node:crypto');
  const { existsSync } = await import('node:fs');
  const h = await sqliteHarness({ inlineMaxBytes: 1000 });
  t.after(() => h.cleanup());
  const blobs = h.store.blobs;
  const chunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, 97 + (i % 26)));
  const read = async (id: string) => Buffer.concat(await (await blobs.get(id)).toArray());
  const small = chunks(4, 250); // exactly 1000 bytes: a row
  const big = chunks(9, 300); // 2700 bytes: 4 chunks read before the switch, then the rest of the same source
  const a = await blobs.put(Readable.from(small), { maxBytes: 5000 });
  const b = await blobs.put(Readable.from(big), { maxBytes: 5000 });
  assert.equal(blobs.hasRow(a.id), true);
  assert.equal(existsSync(blobs.files.pathOf(a.id)), false);
  assert.equal(blobs.hasRow(b.id), false);
  assert.equal(existsSync(blobs.files.pathOf(b.id)), true);
  for (const [ref, parts] of [[a, small], [b, big]] as const) {
    const all = Buffer.concat(parts);
    assert.equal(ref.size, all.length);
    assert.equal(ref.sha256, createHash('sha256').update(all).digest('hex'));
    assert.deepEqual(await read(ref.id), all);
  }
  assert.deepEqual(Buffer.concat(await (await blobs.get(a, { start: 10, end: 20 })).toArray()), Buffer.concat(small).subarray(10, 20));
  const { BlobTooLargeError } = await import('../store.js');
  await assert.rejects(blobs.put(Readable.from(chunks(3, 300)), { maxBytes: 800 }), BlobTooLargeError, 'over maxBytes before the switch');
  await assert.rejects(blobs.put(Readable.from(big), { maxBytes: 2000 }), BlobTooLargeError, 'over maxBytes after the switch');
  assert.equal(await blobs.countStored(), 2, 'nothing left of the refused bodies');
  await blobs.delete(a);
  assert.equal(blobs.hasRow(a.id), false);
  await assert.rejects(blobs.get(a.id), /Blob not found/);
});

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
  const h = await sqliteHarness();
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
