/** Store contract, part 3: mailboxes (see contract.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailboxLockedError, type Mailbox, type PartIndex } from './store.js';
import { collect, envelope, harness, putText, readAll, text, userWithInbox, type MakeStore } from './contract-kit.js';

const at = new Date('2026-03-04T05:06:07.890Z');

async function appendText(store: Parameters<typeof putText>[0], box: Mailbox, s: string, deliveryId?: string) {
  const blob = await putText(store, s);
  return box.append(blob, { receivedAt: at, ...(deliveryId !== undefined ? { deliveryId } : {}) });
}

function assertIncreasing(uids: readonly string[]): void {
  for (const u of uids) assert.match(u, /^[\x21-\x7e]{1,70}$/);
  for (let i = 1; i < uids.length; i++) assert.ok(uids[i - 1]! < uids[i]!, `${uids[i - 1]} < ${uids[i]}`);
}

export function mailboxContract(make: MakeStore): void {
  test('Store.mailbox creates a mailbox on first use and returns the same one later', async (t) => {
    const { store } = await harness(t, make);
    const { user, inbox } = await userWithInbox(store);
    assert.deepEqual([inbox.userId, inbox.name], [user.id, 'INBOX']);
    assert.equal((await store.mailbox(user.id)).id, inbox.id);
    assert.equal((await store.mailbox(user.id, 'INBOX')).id, inbox.id);
    const sent = await store.mailbox(user.id, 'Sent');
    assert.notEqual(sent.id, inbox.id);
    await assert.rejects(store.mailbox('no-such-user'));
  });

  test('Store.appendAll appends to several mailboxes in one durable write, all or none', async (t) => {
    const { store, reopen } = await harness(t, make);
    const { inbox: a } = await userWithInbox(store, 'ann@example.org');
    const { inbox: b } = await userWithInbox(store, 'bob@example.org');
    const blob = await putText(store, 'Subject: both\r\n\r\nhi\r\n');
    const recs = await store.appendAll([
      { mailbox: a, blob, meta: { receivedAt: at, prefix: Buffer.from('Delivered-To: ann@example.org\r\n'), deliveryId: 'Q1:ann' } },
      { mailbox: b, blob, meta: { receivedAt: at, prefix: Buffer.from('Delivered-To: bob@example.org\r\n'), deliveryId: 'Q1:bob' } },
    ]);
    assert.deepEqual(recs.map((r) => r.mailboxId), [a.id, b.id]);
    assert.equal(await text(store, blob), 'Subject: both\r\n\r\nhi\r\n');
    // Durable: both survive a restart, each with its own prefix before the shared body.
    const again = await reopen();
    const user = await again.users.get('bob@example.org');
    const box = await again.mailbox(user!.id);
    const [m] = await collect(box.list());
    assert.equal((await readAll(await box.open(m!.uid))).toString(), 'Delivered-To: bob@example.org\r\nSubject: both\r\n\r\nhi\r\n');
    // A copy that cannot be made (its blob is gone) keeps every other copy out too.
    const missing = { id: 'no-such-blob', size: 3, sha256: '' };
    const other = await putText(again, 'Subject: other\r\n\r\n');
    const a2 = await again.mailbox((await again.users.get('ann@example.org'))!.id);
    await assert.rejects(() =>
      again.appendAll([
        { mailbox: a2, blob: other, meta: { receivedAt: at } },
        { mailbox: box, blob: missing, meta: { receivedAt: at } },
      ]),
    );
    assert.equal((await a2.count()).messages, 1, 'nothing of the failed call was kept');
  });

  test('Mailbox.append gives unique printable UIDs of 1–70 characters that increase in append order', async (t) => {
    const { store } = await harness(t, make);
    const { inbox } = await userWithInbox(store);
    const recs = [];
    for (let i = 0; i < 5; i++) recs.push(await appendText(store, inbox, `m${i}\r\n`));
    const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => appendText(store, inbox, `p${i}\r\n`)));
    const uids = [...recs, ...parallel].map((r) => r.uid);
    assert.equal(new Set(uids).size, 25);
    assertIncreasing(recs.map((r) => r.uid));
    assertIncreasing((await collect(inbox.list())).map((r) => r.uid));
  });

  test('Mailbox UIDs are never reused, after expunging the last message nor after a restart', async (t) => {
    const h = await harness(t, make);
    const { user, inbox } = await userWithInbox(h.store);
    const a = await appendText(h.store, inbox, 'a\r\n');
    const b = await appendText(h.store, inbox, 'b\r\n');
    await inbox.expunge([b.uid]);
    const c = await appendText(h.store, inbox, 'c\r\n');
    await inbox.expunge([c.uid]);
    const store2 = await h.reopen();
    const inbox2 = await store2.mailbox(user.id);
    assert.equal(inbox2.id, inbox.id);
    const d = await appendText(store2, inbox2, 'd\r\n');
    assertIncreasing([a.uid, b.uid, c.uid, d.uid]);
  });

  test('Mailbox.append records blob, size, date, flags and part index, and get/open return them', async (t) => {
    const { store } = await harness(t, make);
    const { inbox } = await userWithInbox(store);
    const body = 'Subject: x\r\n\r\nhello\r\n';
    const blob = await putText(store, body);
    const parts: PartIndex = [{ path: '1', contentType: 'text/plain', header: 0, body: 14, end: body.length }];
    const rec = await inbox.append(blob, { receivedAt: at, flags: ['\\Seen'], parts });
    assert.deepEqual(rec.blob, blob);
    assert.equal(rec.size, blob.size);
    assert.equal(rec.mailboxId, inbox.id);
    assert.equal(rec.receivedAt.toISOString(), at.toISOString());
    assert.deepEqual(rec.flags, ['\\Seen']);
    assert.deepEqual(rec.parts, parts);
    assert.equal(rec.deliveryId, undefined);
    assert.deepEqual(await inbox.get(rec.uid), rec);
    assert.equal(await inbox.get('no-such-uid'), undefined);
    assert.equal((await readAll(await inbox.open(rec.uid))).toString(), body);
    assert.equal((await readAll(await inbox.open(rec.uid, { start: 14, end: 19 }))).toString(), 'hello');
    await assert.rejects(inbox.open('no-such-uid'));
  });

  test('Mailbox.list returns messages in UID order, after a UID and up to a limit', async (t) => {
    const { store } = await harness(t, make);
    const { inbox } = await userWithInbox(store);
    const recs = [];
    for (let i = 0; i < 6; i++) recs.push(await appendText(store, inbox, `m${i}\r\n`));
    const uids = recs.map((r) => r.uid);
    assert.deepEqual((await collect(inbox.list())).map((r) => r.uid), uids);
    assert.deepEqual((await collect(inbox.list({ after: uids[1]! }))).map((r) => r.uid), uids.slice(2));
    assert.deepEqual((await collect(inbox.list({ after: uids[1]!, limit: 2 }))).map((r) => r.uid), uids.slice(2, 4));
    assert.deepEqual((await collect(inbox.list({ limit: 0 }))).length, 0);
    await inbox.expunge([uids[2]!]);
    assert.deepEqual((await collect(inbox.list({ after: uids[2]! }))).map((r) => r.uid), uids.slice(3));
  });

  test('Mailbox.setFlags adds and removes flags of the named messages only', async (t) => {
    const { store } = await harness(t, make);
    const { inbox } = await userWithInbox(store);
    const a = await appendText(store, inbox, 'a\r\n');
    const b = await appendText(store, inbox, 'b\r\n');
    await inbox.setFlags([a.uid, 'no-such-uid'], { add: ['\\Seen', '$MDNSent', '\\Seen'] });
    await inbox.setFlags([a.uid], { remove: ['$MDNSent'], add: ['\\Answered'] });
    assert.deepEqual([...(await inbox.get(a.uid))!.flags].sort(), ['\\Answered', '\\Seen']);
    assert.deepEqual((await inbox.get(b.uid))!.flags, []);
  });

  test('Mailbox.expunge removes the messages and their blobs and count follows', async (t) => {
    const h = await harness(t, make);
    const { inbox } = await userWithInbox(h.store);
    const before = await h.storedBlobs();
    const recs = [];
    for (const s of ['one\r\n', 'three\r\n', 'fifteen\r\n']) recs.push(await appendText(h.store, inbox, s));
    assert.deepEqual(await inbox.count(), { messages: 3, bytes: 5 + 7 + 9 });
    assert.equal(await h.storedBlobs(), before + 3);
    await inbox.expunge([recs[0]!.uid, recs[2]!.uid, 'no-such-uid']);
    assert.deepEqual(await inbox.count(), { messages: 1, bytes: 7 });
    assert.deepEqual((await collect(inbox.list())).map((r) => r.uid), [recs[1]!.uid]);
    assert.equal(await h.storedBlobs(), before + 1);
    await assert.rejects(h.store.blobs.get(recs[0]!.blob));
    await inbox.expunge([]);
    assert.deepEqual(await inbox.count(), { messages: 1, bytes: 7 });
  });

  test('Mailbox.lock is exclusive: a second owner gets MailboxLockedError until release', async (t) => {
    const { store } = await harness(t, make);
    const { user, inbox } = await userWithInbox(store);
    const lock = await inbox.lock('session-1');
    const other = await store.mailbox(user.id);
    const err = await other.lock('session-2').catch((e: unknown) => e);
    assert.ok(err instanceof MailboxLockedError);
    assert.equal(err.mailboxId, inbox.id);
    const sent = await store.mailbox(user.id, 'Sent');
    await (await sent.lock('session-2')).release();
    await lock.release();
    const lock2 = await other.lock('session-2');
    await assert.rejects(inbox.lock('session-1'), MailboxLockedError);
    await lock2.release();
    await lock2.release();
  });

  test('Mailbox.append with the same deliveryId twice stores one message and returns the first record', async (t) => {
    const h = await harness(t, make);
    const { inbox } = await userWithInbox(h.store);
    const before = await h.storedBlobs();
    const first = await appendText(h.store, inbox, 'once\r\n', 'q1:ann@example.org');
    const again = await appendText(h.store, inbox, 'once\r\n', 'q1:ann@example.org');
    assert.deepEqual(again, first);
    assert.equal(await h.storedBlobs(), before + 1, 'the duplicate’s own blob is dropped');
    const both = await Promise.all([
      appendText(h.store, inbox, 'twice\r\n', 'q2:ann@example.org'),
      appendText(h.store, inbox, 'twice\r\n', 'q2:ann@example.org'),
    ]);
    assert.equal(both[0].uid, both[1].uid);
    assert.deepEqual(await inbox.count(), { messages: 2, bytes: 6 + 7 });
    assert.equal(await h.storedBlobs(), before + 2);
    assert.equal((await inbox.get(first.uid))?.deliveryId, 'q1:ann@example.org');
    const bob = await userWithInbox(h.store, 'bob@example.org');
    const third = await appendText(h.store, bob.inbox, 'once\r\n', 'q1:ann@example.org');
    assert.equal(third.mailboxId, bob.inbox.id, 'a deliveryId is unique per mailbox only');
  });

  test('Mailbox.append with a prefix: size counts it, open streams prefix + blob, ranges span the border', async (t) => {
    const h = await harness(t, make);
    const { user, inbox } = await userWithInbox(h.store);
    const prefix = Buffer.from('Return-Path: <a@x.test>\r\nDelivered-To: ann@example.org\r\n', 'latin1');
    const body = 'Subject: x\r\n\r\nhello \u00ff\r\n';
    const whole = prefix.toString('latin1') + body;
    const blob = await putText(h.store, body);
    const P = prefix.length;
    const parts: PartIndex = [{ path: '', contentType: 'text/plain', header: 0, body: P + 14, end: whole.length }];
    const rec = await inbox.append(blob, { receivedAt: at, prefix, parts, deliveryId: 'q9:ann@example.org' });
    assert.deepEqual(rec.blob, blob);
    assert.deepEqual(rec.prefix, prefix);
    assert.equal(rec.size, P + blob.size);
    assert.deepEqual(rec.parts, parts);
    assert.deepEqual(await inbox.get(rec.uid), rec);
    assert.deepEqual(await inbox.count(), { messages: 1, bytes: P + blob.size });
    const read = async (box: Mailbox, range?: { start: number; end: number }) => (await readAll(await box.open(rec.uid, range))).toString('latin1');
    assert.equal(await read(inbox), whole);
    for (const [start, end] of [
      [0, 5], // in the prefix
      [P - 3, P + 4], // across the border
      [P, P], // empty, at the border
      [P - 2, P], // the prefix's last bytes
      [P, P + 7], // the blob's first bytes
      [P + 3, whole.length], // in the blob to the end
      [0, whole.length + 50], // past the end
      [2, whole.length], // across, to the end
    ] as const) {
      assert.equal(await read(inbox, { start, end }), whole.slice(start, end), `range ${start}-${end}`);
    }
    assert.equal(await read(inbox, { start: parts[0]!.body, end: parts[0]!.end }), 'hello \u00ff\r\n');
    await assert.rejects(inbox.open(rec.uid, { start: 5, end: 4 }));
    const [whole1] = await inbox.readMany([rec.uid], whole.length);
    assert.equal(Buffer.concat(whole1 ?? []).toString('latin1'), whole, 'readMany: the whole message');
    assert.deepEqual(await inbox.readMany([rec.uid], whole.length - 1), [undefined], 'readMany: larger than maxBytes');
    assert.deepEqual(await inbox.readMany([], 1000), []);
    const plainRec = await inbox.append(await putText(h.store, 'no index\r\n'), { receivedAt: at });
    const asText = (got: (readonly Buffer[] | undefined)[]) => got.map((m) => m && Buffer.concat(m).toString('latin1'));
    // In order, out of order, repeated and mixed with a message over the limit: entry i is uids[i].
    assert.deepEqual(asText(await inbox.readMany([rec.uid, plainRec.uid], whole.length)), [whole, 'no index\r\n']);
    assert.deepEqual(asText(await inbox.readMany([plainRec.uid, rec.uid, plainRec.uid], whole.length)), ['no index\r\n', whole, 'no index\r\n']);
    assert.deepEqual(asText(await inbox.readMany([rec.uid, plainRec.uid], 10)), [undefined, 'no index\r\n']);
    const third = await inbox.append(await putText(h.store, 'third\r\n'), { receivedAt: at });
    assert.deepEqual(asText(await inbox.readMany([rec.uid, third.uid], whole.length)), [whole, 'third\r\n'], 'ascending, a message between them');
    await inbox.expunge([third.uid]);
    assert.deepEqual(await inbox.summary(), [
      { uid: rec.uid, size: P + blob.size, bodyOffset: P + 14 },
      { uid: plainRec.uid, size: 10 },
    ]);
    await inbox.expunge([plainRec.uid]);
    await assert.rejects(inbox.readMany(['no-such-uid'], 1000));
    await assert.rejects(inbox.readMany([rec.uid, plainRec.uid], 1000), 'a uid expunged since: the batch fails');
    const again = await inbox.append(blob, { receivedAt: new Date(), prefix: Buffer.from('X: y\r\n'), deliveryId: 'q9:ann@example.org' });
    assert.deepEqual(again, rec, 'idempotent per deliveryId, the first prefix kept');
    assert.equal(await text(h.store, blob), body, 'the duplicate does not drop a blob its first message uses');
    const plain = await inbox.append(await putText(h.store, 'a\r\n'), { receivedAt: at, prefix: Buffer.alloc(0) });
    assert.equal(plain.prefix, undefined, 'an empty prefix is no prefix');
    assert.equal(plain.size, 3);
    const r = await h.reopen();
    const inbox2 = await r.mailbox(user.id);
    assert.deepEqual(await inbox2.get(rec.uid), rec);
    assert.equal(await read(inbox2, { start: P - 1, end: P + 1 }), whole.slice(P - 1, P + 1));
  });

  test('A message sharing a queue item’s blob keeps it after settle removes the item; the last expunge deletes it', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    const ann = await userWithInbox(h.store);
    const bob = await userWithInbox(h.store, 'bob@example.org');
    const body = 'Subject: shared\r\n\r\nbody\r\n';
    const blob = await putText(h.store, body);
    const qid = await h.store.queue.enqueue(envelope(['ann@example.org', 'bob@example.org']), blob);
    const a = await ann.inbox.append(blob, { receivedAt: at, prefix: Buffer.from('Delivered-To: ann\r\n'), deliveryId: `${qid}:ann` });
    const b = await bob.inbox.append(blob, { receivedAt: at, prefix: Buffer.from('Delivered-To: bob\r\n'), deliveryId: `${qid}:bob` });
    const done = { outcome: 'delivered', reply: '250 ok' } as const;
    await h.store.queue.settle(qid, [{ rcpt: 'ann@example.org', ...done }, { rcpt: 'bob@example.org', ...done }], new Date());
    assert.equal(await h.store.queue.get(qid), undefined);
    assert.equal(await h.storedBlobs(), before + 1, 'the queued blob outlives the item');
    assert.equal((await readAll(await ann.inbox.open(a.uid))).toString(), `Delivered-To: ann\r\n${body}`);
    await ann.inbox.expunge([a.uid]);
    assert.equal(await h.storedBlobs(), before + 1, 'still used by bob’s message');
    assert.equal((await readAll(await bob.inbox.open(b.uid))).toString(), `Delivered-To: bob\r\n${body}`);
    await bob.inbox.expunge([b.uid]);
    assert.equal(await h.storedBlobs(), before, 'deleted with the last reference');
    await assert.rejects(h.store.blobs.get(blob));
  });

  test('A shared blob survives Queue.delete and expunge in either order, and goes with the last reference', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    const { inbox } = await userWithInbox(h.store);
    // Message first, then the queue item.
    const blob1 = await putText(h.store, 'one\r\n');
    const q1 = await h.store.queue.enqueue(envelope(['ann@example.org']), blob1);
    const m1 = await inbox.append(blob1, { receivedAt: at, prefix: Buffer.from('P: 1\r\n') });
    await inbox.expunge([m1.uid]);
    assert.equal(await text(h.store, blob1), 'one\r\n', 'the queue item still uses it');
    assert.equal(await h.store.queue.delete(q1), true);
    assert.equal(await h.storedBlobs(), before);
    // The queue item first, then the message.
    const blob2 = await putText(h.store, 'two\r\n');
    const q2 = await h.store.queue.enqueue(envelope(['ann@example.org']), blob2);
    const m2 = await inbox.append(blob2, { receivedAt: at, prefix: Buffer.from('P: 2\r\n') });
    assert.equal(await h.store.queue.delete(q2), true);
    assert.equal((await readAll(await inbox.open(m2.uid))).toString(), 'P: 2\r\ntwo\r\n');
    assert.equal(await h.storedBlobs(), before + 1);
    await inbox.expunge([m2.uid]);
    assert.equal(await h.storedBlobs(), before);
    await assert.rejects(inbox.append(blob2, { receivedAt: at, prefix: Buffer.from('P: 3\r\n') }), 'no message may refer to a deleted blob');
  });

  test('Mailbox.append racing Queue.delete of the only other reference never leaves a message without its blob', async (t) => {
    const h = await harness(t, make);
    const { inbox } = await userWithInbox(h.store);
    for (let i = 0; i < 20; i++) {
      const blob = await putText(h.store, `race ${i}\r\n`);
      const qid = await h.store.queue.enqueue(envelope(['ann@example.org']), blob);
      const [appended] = await Promise.allSettled([
        inbox.append(blob, { receivedAt: at, prefix: Buffer.from('P: r\r\n') }),
        h.store.queue.delete(qid),
      ]);
      if (appended.status === 'fulfilled') {
        assert.equal((await readAll(await inbox.open(appended.value.uid))).toString(), `P: r\r\nrace ${i}\r\n`);
      }
    }
  });

  test('UserRepo.delete keeps a blob a queue item still uses', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    const { user, inbox } = await userWithInbox(h.store);
    const blob = await putText(h.store, 'q\r\n');
    const qid = await h.store.queue.enqueue(envelope(['ann@example.org']), blob);
    await inbox.append(blob, { receivedAt: at, prefix: Buffer.from('P: q\r\n') });
    assert.equal(await h.store.users.delete(user.address), true);
    assert.equal(await text(h.store, blob), 'q\r\n');
    assert.equal(await h.store.queue.delete(qid), true);
    assert.equal(await h.storedBlobs(), before);
  });

  test('UserRepo.delete removes the user’s mailboxes and their blobs', async (t) => {
    const h = await harness(t, make);
    const before = await h.storedBlobs();
    const { user, inbox } = await userWithInbox(h.store);
    await appendText(h.store, inbox, 'a\r\n');
    await appendText(h.store, await h.store.mailbox(user.id, 'Sent'), 'b\r\n');
    assert.equal(await h.storedBlobs(), before + 2);
    assert.equal(await h.store.users.delete(user.address), true);
    assert.equal(await h.storedBlobs(), before);
    await assert.rejects(h.store.mailbox(user.id));
  });
}
