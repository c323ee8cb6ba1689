/**
 * The store contract suite: the behaviour every Store backend must show (memory, SQLite, later PostgreSQL).
 * A backend's test file calls `describeStoreContract` once; each test gets a fresh store from `makeStore`.
 *
 * What it proves: users (create, duplicates refused, domain case ignored, delete, passwords, APOP secret),
 * domains, aliases; blobs (put/get/range/delete, maxBytes, nothing left behind, SHA-256 and size, a 50 MB body
 * streamed); mailboxes (UIDs unique, printable, increasing and never reused, list order, flags, atomic expunge
 * that deletes blobs, exclusive locks, idempotent append per deliveryId; a per-message prefix before a shared blob:
 * size, open and ranges across the border; a queue item's blob kept while a message uses it and deleted with the
 * last reference); the queue (durable enqueue, claims with
 * nextAttempt, holds and leases, per-recipient settle, removal when done, retryNow, hold, delete, counts); migrate
 * idempotent; data surviving close and reopen.
 * Limits: crash safety (SIGKILL at a random instant) needs a child process and is tested per backend.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountContract } from './contract-accounts.js';
import { blobContract } from './contract-blobs.js';
import { mailboxContract } from './contract-mailboxes.js';
import { queueContract } from './contract-queue.js';
import { collect, envelope, harness, putText, text, type ContractOptions, type MakeStore } from './contract-kit.js';

export type { StoreHarness, MakeStore, ContractOptions } from './contract-kit.js';

/**
 * Declares the contract tests for one backend.
 * @example
 * // harnesses.ts has one harness per backend (a store, its restart, its blob count, its cleanup)
 * describeStoreContract('MemoryStore', memoryHarness, { blobsInMemory: true });
 * describeStoreContract("SqliteStore with commit 'sqlite-full'", () => sqliteHarness({ commit: 'sqlite-full' }));
 */
export function describeStoreContract(name: string, makeStore: MakeStore, options: ContractOptions = {}): void {
  describe(`Store contract: ${name}`, () => {
    accountContract(makeStore);
    blobContract(makeStore, options);
    mailboxContract(makeStore);
    queueContract(makeStore);
    lifecycleContract(makeStore);
  });
}

function lifecycleContract(make: MakeStore): void {
  test('Store.migrate is idempotent and keeps the data', async (t) => {
    const h = await harness(t, make);
    await h.store.users.create('ann@example.org', 'h');
    await h.store.migrate();
    await h.store.migrate();
    assert.equal((await h.store.users.list()).length, 1);
    const s2 = await h.reopen();
    await s2.migrate();
    assert.equal((await s2.users.get('ann@example.org'))?.passwordHash, 'h');
  });

  test('Store data survives close and reopen: accounts, mailboxes, flags and queue state', async (t) => {
    const h = await harness(t, make);
    const s = h.store;
    const user = await s.users.create('ann@example.org', 'h');
    await s.users.setApopSecret('ann@example.org', 'secret');
    await s.domains.add('example.org');
    await s.aliases.add('postmaster@example.org', ['ann@example.org']);
    const inbox = await s.mailbox(user.id);
    const rec = await inbox.append(await putText(s, 'Subject: kept\r\n\r\n'), {
      receivedAt: new Date('2026-05-06T07:08:09.010Z'),
      flags: ['\\Seen'],
      deliveryId: 'd1',
    });
    const blob = await putText(s, 'queued\r\n');
    const qid = await s.queue.enqueue(envelope(['a@x.test', 'b@x.test']), blob);
    const retryAt = new Date('2026-01-02T04:00:00.000Z');
    await s.queue.settle(qid, [{ rcpt: 'a@x.test', outcome: 'deferred', code: 451, text: 'later', retryAt }], new Date());
    await s.queue.hold(qid, true);
    const before = await s.queue.get(qid);

    const r = await h.reopen();
    assert.deepEqual(await r.users.get('ann@example.org'), { ...user, apopSecret: 'secret' });
    assert.deepEqual(await r.domains.list(), ['example.org']);
    assert.deepEqual(await r.aliases.get('postmaster@example.org'), ['ann@example.org']);
    const inbox2 = await r.mailbox(user.id);
    assert.equal(inbox2.id, inbox.id);
    assert.deepEqual(await collect(inbox2.list()), [rec]);
    assert.equal(await text(r, rec.blob), 'Subject: kept\r\n\r\n');
    const again = await inbox2.append(await putText(r, 'dup'), { receivedAt: new Date(), deliveryId: 'd1' });
    assert.equal(again.uid, rec.uid);
    assert.deepEqual(await r.queue.get(qid), before);
    assert.equal(await text(r, blob), 'queued\r\n');
    assert.deepEqual(await r.queue.counts(), { items: 1, pending: 0, deferred: 0, held: 1 });
  });
}
