import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createLocalDelivery, createResolver, createRouter } from '../mta/index.js';
import { Pop3Error } from '../pop3/index.js';
import type { Store } from '../store/index.js';
import { envelope, putText, readAll } from '../store/contract-kit.js';
import { cheapHash, RecordingLogger } from '../testing/mta-fixtures.js';
import { appendIndexed, faultyStore, openKind, pop3Conn, storeKinds, type Faults, type StoreKind } from '../testing/maildrop-stores.js';
import { bodyOffset, createMaildropBackend } from './index.js';

test('bodyOffset example: the root entry of the part index, or undefined when the index does not fit', () => {
  assert.equal(bodyOffset({ size: 20, parts: [{ path: '', contentType: 'text/plain', header: 0, body: 9, end: 20 }] }), 9);
  assert.equal(bodyOffset({ size: 20 }), undefined);
  assert.equal(bodyOffset({ size: 20, parts: [] }), undefined);
  assert.equal(bodyOffset({ size: 8, parts: [{ path: '', contentType: 'text/plain', header: 0, body: 9, end: 20 }] }), undefined);
  // A message/rfc822 root: its encapsulated message has the same path; the root (first in document order) counts.
  assert.equal(
    bodyOffset({
      size: 100,
      parts: [
        { path: '', contentType: 'message/rfc822', header: 0, body: 30, end: 100 },
        { path: '', contentType: 'text/plain', header: 30, body: 50, end: 100 },
      ],
    }),
    30,
  );
});

const text = async (src: Readable): Promise<string> => (await readAll(src)).toString('latin1');

for (const kind of storeKinds) {
  const world = async (t: TestContext, k: StoreKind = kind, faults: Faults = {}) => {
    const h = await openKind(t, k);
    await h.store.domains.add('example.org');
    const ann = await h.store.users.create('ann@example.org', await cheapHash('secret'));
    const inbox = await h.store.mailbox(ann.id);
    const backend = (store: Store = h.store) => createMaildropBackend({ store: faultyStore(store, faults), log: new RecordingLogger() });
    const uids = async (store: Store = h.store) => {
      const out: string[] = [];
      for await (const r of (await store.mailbox(ann.id)).list()) out.push(r.uid);
      return out;
    };
    return { h, ann, inbox, backend, uids, faults };
  };

  test(`${kind.name}: UIDL and sizes are stable across a store close and reopen`, async (t) => {
    const { h, inbox, backend } = await world(t);
    for (let i = 0; i < 5; i++) await appendIndexed(h.store, inbox, `Subject: ${i}\r\n\r\nbody ${i}\r\n`, 'Received: x\r\n');
    const before = await backend().login('ann@example.org', 'secret', pop3Conn());
    await before.release();
    const store = await h.reopen();
    const after = await backend(store).login('ann@example.org', 'secret', pop3Conn());
    assert.deepEqual(after.messages, before.messages);
    for (const m of after.messages) {
      assert.match(m.uid, /^[\x21-\x7e]{1,70}$/); // RFC 1939 §7
      assert.equal(m.bodyOffset, 'Received: x\r\nSubject: 0\r\n\r\n'.length);
    }
    assert.equal(new Set(after.messages.map((m) => m.uid)).size, 5);
    await after.release();
  });

  test(`${kind.name}: open() streams the whole stored message (prefix + blob) or a byte range of it`, async (t) => {
    const { h, inbox, backend } = await world(t);
    const rec = await appendIndexed(h.store, inbox, 'Subject: s\r\n\r\nline\r\n', 'Delivered-To: ann@example.org\r\n');
    const drop = await backend().login('ann@example.org', 'secret', pop3Conn());
    const whole = await text(await drop.open(rec.uid));
    assert.equal(whole, 'Delivered-To: ann@example.org\r\nSubject: s\r\n\r\nline\r\n');
    assert.equal(Buffer.byteLength(whole, 'latin1'), drop.messages[0]!.size);
    const header = await text(await drop.open(rec.uid, { start: 0, end: drop.messages[0]!.bodyOffset! }));
    assert.equal(header, 'Delivered-To: ann@example.org\r\nSubject: s\r\n\r\n');
    await assert.rejects(drop.open('no-such-uid'), /not in this session's snapshot/);
    await drop.release();
  });

  test(`${kind.name}: commit removes exactly the deleted messages, durably (still gone after a reopen)`, async (t) => {
    const { h, inbox, backend, uids } = await world(t);
    const recs = [];
    for (let i = 0; i < 4; i++) recs.push(await appendIndexed(h.store, inbox, `Subject: ${i}\r\n\r\n${i}\r\n`));
    const drop = await backend().login('ann@example.org', 'secret', pop3Conn());
    // Delivered during the session: not in the snapshot, so never deleted by it, even when named.
    const late = await appendIndexed(h.store, inbox, 'Subject: late\r\n\r\nlate\r\n');
    await drop.commit(new Set([recs[1]!.uid, recs[3]!.uid, late.uid]));
    await drop.release();
    const want = [recs[0]!.uid, recs[2]!.uid, late.uid];
    assert.deepEqual(await uids(), want);
    assert.deepEqual(await uids(await h.reopen()), want);
  });

  test(`${kind.name}: a failed commit leaves every message, answers -ERR [SYS/TEMP], and release() still unlocks`, async (t) => {
    const { h, inbox, backend, uids, faults } = await world(t);
    for (let i = 0; i < 3; i++) await appendIndexed(h.store, inbox, `Subject: ${i}\r\n\r\n${i}\r\n`);
    const all = await uids();
    const drop = await backend().login('ann@example.org', 'secret', pop3Conn());
    faults.expunge = new Error('write failed');
    await assert.rejects(drop.commit(new Set(all.slice(0, 2))), (err: unknown) => err instanceof Pop3Error && err.code === 'SYS/TEMP');
    await drop.release();
    delete faults.expunge;
    assert.deepEqual(await uids(), all);
    assert.deepEqual(await uids(await h.reopen()), all);
    await (await backend(h.store).login('ann@example.org', 'secret', pop3Conn())).release();
  });

  test(`${kind.name}: release() without commit deletes nothing (a dropped connection); an empty commit writes nothing`, async (t) => {
    const { h, inbox, backend, uids, faults } = await world(t);
    for (let i = 0; i < 2; i++) await appendIndexed(h.store, inbox, `Subject: ${i}\r\n\r\n${i}\r\n`);
    const all = await uids();
    const dropped = await backend().login('ann@example.org', 'secret', pop3Conn());
    await dropped.release();
    assert.deepEqual(await uids(), all);
    faults.expunge = new Error('must not be called');
    const quit = await backend().login('ann@example.org', 'secret', pop3Conn());
    await quit.commit(new Set());
    await quit.release();
    await assert.rejects(quit.commit(new Set(all)), /released/);
    assert.deepEqual(await uids(await h.reopen()), all);
  });

  test(`${kind.name}: a failed release is reported as -ERR [SYS/TEMP] and can be retried`, async (t) => {
    const { backend, faults } = await world(t);
    const drop = await backend().login('ann@example.org', 'secret', pop3Conn());
    faults.release = new Error('busy');
    await assert.rejects(drop.release(), (err: unknown) => err instanceof Pop3Error && err.code === 'SYS/TEMP');
    delete faults.release;
    await drop.release();
    await (await backend().login('ann@example.org', 'secret', pop3Conn())).release();
  });

  test(`${kind.name}: a store error on open() answers -ERR [SYS/TEMP]`, async (t) => {
    const { h, inbox, backend, faults } = await world(t);
    const rec = await appendIndexed(h.store, inbox, 'Subject: s\r\n\r\nx\r\n');
    const drop = await backend().login('ann@example.org', 'secret', pop3Conn());
    faults.open = new Error('EIO');
    await assert.rejects(drop.open(rec.uid), (err: unknown) => err instanceof Pop3Error && err.code === 'SYS/TEMP');
    await drop.release();
  });

  test(`${kind.name}: bodyOffset of a message delivered by local delivery is the octet after its blank line`, async (t) => {
    const { h, backend } = await world(t);
    const store = h.store;
    const router = createRouter(store.domains);
    const local = createLocalDelivery({
      store,
      resolver: createResolver({ users: store.users, aliases: store.aliases, router }),
      hostname: 'mx.example.org',
      now: () => new Date('2026-01-02T03:04:05Z'),
      log: new RecordingLogger(),
    });
    const bodies = [
      'From: b@x.test\r\nSubject: plain\r\n\r\nHello.\r\n\r\nSecond paragraph.\r\n',
      'From: b@x.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\npreamble\r\n--b\r\n\r\npart\r\n--b--\r\n',
    ];
    for (const body of bodies) {
      const id = await store.queue.enqueue(envelope(['ann@example.org']), await putText(store, body));
      const item = (await store.queue.get(id))!;
      const [result] = await local.deliver(item, () => store.blobs.get(item.body), new AbortController().signal);
      assert.equal(result?.outcome, 'delivered');
    }
    const drop = await backend().login('ann@example.org', 'secret', pop3Conn());
    assert.equal(drop.messages.length, bodies.length);
    for (const [i, m] of drop.messages.entries()) {
      const whole = await text(await drop.open(m.uid));
      assert.equal(Buffer.byteLength(whole, 'latin1'), m.size);
      assert.ok(whole.endsWith(bodies[i]!), 'trace fields, then the body as queued');
      // The first empty line ends the header (RFC 5322 §2.1): the body starts right after its CRLF.
      assert.equal(m.bodyOffset, whole.indexOf('\r\n\r\n') + 4);
    }
    await drop.release();
  });
}
