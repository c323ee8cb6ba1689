import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../store/memory/index.js';
import { createLocalDelivery, createResolver, createRouter } from './index.js';
import { QueueRunner } from '../queue/index.js';
import { mtaSystem } from '../../testing/mta-system.js';
import { message } from '../../testing/mta-fixtures.js';

const TRACE = /^Return-Path: <([^>]*)>\r\nDelivered-To: (\S+)\r\nReceived: from (\S+) \((\S+) \[(\S+)\]\)\r\n\tby (\S+) with (\S+) id (\S+)\r\n\tfor <([^>]+)>; (\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4})\r\n/;

test('createLocalDelivery adds exactly Return-Path, Delivered-To and Received and keeps the body byte for byte', async () => {
  const sys = await mtaSystem();
  const body = message({ received: 2, body: 'Line 1\r\n.dot\r\n\r\nÄ unicode\r\nno final newline' });
  const id = await sys.send({ rcpts: ['bob@example.org'], body });
  await sys.runner.idle();
  const [msg, ...rest] = await sys.inbox('bob@example.org');
  assert.equal(rest.length, 0);
  const m = TRACE.exec(msg!.text);
  assert.ok(m, msg!.text.slice(0, 300));
  assert.deepEqual(m.slice(1), [
    'sender@remote.test',
    'bob@example.org',
    'relay.remote.test',
    '203.0.113.9',
    '203.0.113.9',
    'mx.example.org',
    'ESMTP',
    id,
    'bob@example.org',
    'Wed, 04 Mar 2026 05:06:07 +0000',
  ]);
  assert.equal(msg!.text.slice(m[0].length), body);
  assert.equal(msg!.record.size, Buffer.byteLength(msg!.text));
  assert.equal(msg!.record.deliveryId, `${id}:bob@example.org`);
  assert.equal(msg!.record.receivedAt.toISOString(), '2026-03-04T05:06:07.000Z');
  assert.equal((await sys.store.queue.list()).length, 0, 'the item is settled and removed');
});

test('createLocalDelivery shares the queued blob: the trace fields are the prefix, the blob outlives the item until expunged', async () => {
  const sys = await mtaSystem({ start: false });
  const body = message();
  await sys.send({ rcpts: ['bob@example.org', 'ann@example.org'], body });
  const [item] = await sys.store.queue.list();
  assert.equal(sys.store.state.blobs.size, 1);
  await sys.runner.runOnce();
  await sys.runner.idle();
  assert.equal((await sys.store.queue.list()).length, 0, 'the item is settled and removed');
  assert.equal(sys.store.state.blobs.size, 1, 'no copy written; the queued body kept for the messages');
  const ids: string[] = [];
  for (const address of ['bob@example.org', 'ann@example.org']) {
    const [msg] = await sys.inbox(address);
    assert.equal(msg!.record.blob.id, item!.body.id);
    assert.equal(msg!.text, msg!.record.prefix!.toString('latin1') + body);
    assert.match(msg!.record.prefix!.toString('latin1'), TRACE);
    assert.equal(msg!.record.size, msg!.record.prefix!.length + item!.body.size);
    const box = await sys.store.mailbox((await sys.store.users.get(address))!.id);
    await box.expunge([msg!.record.uid]);
    ids.push(msg!.record.uid);
  }
  assert.equal(ids.length, 2);
  assert.equal(sys.store.state.blobs.size, 0, 'deleted with the last message');
});

test('createLocalDelivery stores bare LF as CRLF and indexes MIME parts at the stored offsets', async () => {
  const sys = await mtaSystem();
  const body = 'Subject: parts\nContent-Type: multipart/mixed; boundary=XY\n\n--XY\nContent-Type: text/plain\n\nhello\n--XY\nContent-Type: image/png\n\nPNG\n--XY--\n';
  await sys.send({ rcpts: ['ann@example.org'], body });
  await sys.runner.idle();
  const [msg] = await sys.inbox('ann@example.org');
  const stored = msg!.text;
  assert.equal(stored.includes('\n') && !/[^\r]\n/.test(stored), true, 'only CRLF line ends');
  assert.ok(stored.endsWith(body.replace(/\n/g, '\r\n')));
  const parts = msg!.record.parts!;
  assert.deepEqual(parts.map((p) => [p.path, p.contentType]), [['', 'multipart/mixed'], ['1', 'text/plain'], ['2', 'image/png']]);
  assert.equal(stored.slice(parts[1]!.body, parts[1]!.end), 'hello');
  assert.equal(stored.slice(parts[2]!.header, parts[2]!.body), 'Content-Type: image/png\r\n\r\n');
  assert.equal(parts[0]!.header, 0);
  assert.equal(msg!.record.prefix, undefined, 'a body with bare LF is copied whole');
});

test('createLocalDelivery indexes MIME parts of a CRLF body at the offsets of prefix + shared blob', async () => {
  const sys = await mtaSystem();
  const body = 'Subject: parts\r\nContent-Type: multipart/mixed; boundary=XY\r\n\r\n--XY\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XY\r\nContent-Type: image/png\r\n\r\nPNG\r\n--XY--\r\n';
  await sys.send({ rcpts: ['ann@example.org'], body });
  await sys.runner.idle();
  const [msg] = await sys.inbox('ann@example.org');
  assert.ok(msg!.record.prefix && msg!.record.prefix.length > 0);
  const stored = msg!.text;
  const parts = msg!.record.parts!;
  assert.deepEqual(parts.map((p) => [p.path, p.contentType]), [['', 'multipart/mixed'], ['1', 'text/plain'], ['2', 'image/png']]);
  assert.equal(parts[0]!.header, 0);
  assert.equal(stored.slice(parts[1]!.body, parts[1]!.end), 'hello');
  const box = await sys.store.mailbox((await sys.store.users.get('ann@example.org'))!.id);
  const ranged = async (start: number, end: number) => {
    const chunks: Buffer[] = [];
    for await (const c of await box.open(msg!.record.uid, { start, end })) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('latin1');
  };
  assert.equal(await ranged(parts[2]!.header, parts[2]!.body), 'Content-Type: image/png\r\n\r\n');
  assert.equal(await ranged(parts[1]!.body, parts[1]!.end), 'hello');
});

test('createLocalDelivery delivers a queue item attempted twice (crash after append, before settle) only once', async () => {
  const sys = await mtaSystem({ start: false });
  const id = await sys.send({ rcpts: ['bob@example.org', 'ann@example.org'], body: message() });
  // The "crashed" process: claimed the item and delivered, but never settled.
  const [item] = await sys.store.queue.claim({ now: sys.clock.now(), limit: 1, leaseMs: 60_000, worker: 'crashed' });
  assert.equal(item!.id, id);
  const results = await sys.local.deliver(item!, () => sys.store.blobs.get(item!.body), new AbortController().signal);
  assert.deepEqual(results.map((r) => r.outcome), ['delivered', 'delivered']);
  const blobsAfterCrash = sys.store.state.blobs.size;
  // Restart: a new store on the same state, a new runner; the lease runs out first.
  const store = new MemoryStore(sys.store.state);
  const router = createRouter(store.domains);
  const local = createLocalDelivery({ store, resolver: createResolver({ users: store.users, aliases: store.aliases, router }), hostname: 'mx.example.org', now: sys.clock.now, log: sys.log });
  const runner = new QueueRunner({ store, agents: { local, remote: local }, router, now: sys.clock.now, setTimer: sys.clock.setTimer, worker: 'w2', log: sys.log, random: () => 0 });
  assert.equal(await runner.runOnce(), 0, 'leased by the crashed worker');
  sys.clock.advance(60_001);
  assert.equal(await runner.runOnce(), 1);
  assert.equal((await sys.inbox('bob@example.org')).length, 1);
  assert.equal((await sys.inbox('ann@example.org')).length, 1);
  assert.equal((await store.queue.list()).length, 0);
  // Both messages share the queued body: nothing was written, and the body outlives the settled item.
  assert.equal(blobsAfterCrash, 1);
  assert.equal(store.state.blobs.size, 1);
  assert.equal(sys.log.messages('already delivered').length, 2);
});

test('createLocalDelivery fans an alias out to every target and follows the @domain catch-all', async () => {
  const sys = await mtaSystem({
    aliases: {
      'team@example.org': ['ann@example.org', 'staff@example.org'],
      'staff@example.org': ['bob@example.org', 'ann@example.org'],
      '@example.net': ['carol@example.net'],
    },
  });
  const id = await sys.send({ rcpts: ['team@example.org', 'whoever@example.net'], body: message() });
  await sys.runner.idle();
  for (const [user, rcpt] of [['ann@example.org', 'team@example.org'], ['bob@example.org', 'team@example.org'], ['carol@example.net', 'whoever@example.net']] as const) {
    const box = await sys.inbox(user);
    assert.equal(box.length, 1, `${user} gets one copy`);
    const m = TRACE.exec(box[0]!.text)!;
    assert.equal(m[2], user, 'Delivered-To names the mailbox');
    assert.equal(m[9], rcpt, 'Received ... for names the envelope recipient');
    assert.equal(box[0]!.record.deliveryId, `${id}:${user}`);
  }
});

test('createLocalDelivery keeps a copy for an alias that lists itself (ann → ann, bob)', async () => {
  const sys = await mtaSystem({ aliases: { 'ann@example.org': ['ann@example.org', 'bob@example.org'] } });
  await sys.send({ rcpts: ['ann@example.org'], body: message() });
  await sys.runner.idle();
  assert.equal((await sys.inbox('ann@example.org')).length, 1);
  assert.equal((await sys.inbox('bob@example.org')).length, 1);
});

test('createLocalDelivery fails a recipient that no longer resolves with 550 5.1.1 and reports the DSN need', async () => {
  const sys = await mtaSystem({ aliases: { 'gone@example.org': ['bob@example.org'] }, start: false });
  await sys.send({ rcpts: ['gone@example.org', 'ann@example.org'], body: message() });
  await sys.store.aliases.remove('gone@example.org'); // removed between RCPT and delivery
  await sys.runner.runOnce();
  const failed = sys.log.messages('recipient failed').map((f) => [f['rcpt'], f['code'], f['enhanced'], f['text']]);
  assert.deepEqual(failed, [['gone@example.org', 550, '5.1.1', 'User unknown']]);
  assert.equal((await sys.inbox('ann@example.org')).length, 1);
  assert.deepEqual(sys.dsn.map((d) => [d.kind, d.rcpt.address]), [['failed', 'gone@example.org']]);
  assert.equal((await sys.store.queue.list()).length, 0);
});

test('createLocalDelivery fails an alias that only loops with 554 5.4.6', async () => {
  const sys = await mtaSystem({ aliases: { 'a@example.org': ['b@example.org'], 'b@example.org': ['c@example.org'], 'c@example.org': ['a@example.org'] }, start: false });
  const item = {
    id: 'Q1',
    envelope: { from: 'x@remote.test', rcpts: [{ address: 'a@example.org' }], smtputf8: false, body: '7BIT' as const, receivedAt: sys.clock.now(), client: { helo: 'h.test', ip: '192.0.2.9', tls: false, protocol: 'ESMTP' } },
    body: { id: 'unused', size: 0, sha256: '' },
    rcpts: [{ address: 'a@example.org', state: 'pending' as const, attempts: 0, nextAttempt: sys.clock.now() }],
    createdAt: sys.clock.now(),
    held: false,
  };
  const results = await sys.local.deliver(item, () => Promise.reject(new Error('body not needed')), new AbortController().signal);
  assert.deepEqual(results, [{ rcpt: 'a@example.org', outcome: 'failed', code: 554, enhanced: '5.4.6', text: 'Alias expansion loop' }]);
});

test('createLocalDelivery forwards alias targets in other domains as a new queue item sharing the body, after the local copy', async () => {
  const sys = await mtaSystem({ aliases: { 'fwd@example.org': ['ann@example.org', 'ann@gmail.test'] } });
  const id = await sys.send({ rcpts: ['fwd@example.org'], notify: ['SUCCESS', 'FAILURE'], body: message() });
  await sys.runner.idle();
  assert.equal((await sys.inbox('ann@example.org')).length, 1);
  assert.equal(await sys.store.queue.get(id), undefined, 'the alias recipient is done');
  const [fwd] = await sys.store.queue.list();
  assert.ok(fwd);
  assert.equal(fwd.envelope.from, 'sender@remote.test');
  // RFC 3461 §6.2.7.3: an expansion to two targets is reported `expanded`; SUCCESS is not passed on.
  assert.deepEqual(fwd.rcpts.map((r) => [r.address, r.notify, r.orcpt, r.state]), [['ann@gmail.test', ['FAILURE'], 'rfc822;fwd@example.org', 'deferred']]);
  assert.match(fwd.rcpts[0]!.lastReply ?? '', /Remote delivery is not available in this test/);
  assert.deepEqual(sys.dsn.map((d) => [d.kind, d.rcpt.address]), [['expanded', 'fwd@example.org']]);
  assert.equal(sys.store.state.blobs.size, 1, 'the forwarded copy shares the queued body');
});

test('createLocalDelivery passes NOTIFY on unchanged to a single forwarded target and owes no report itself', async () => {
  const sys = await mtaSystem({ aliases: { 'away@example.org': ['ann@elsewhere.test'] } });
  await sys.send({ rcpts: ['away@example.org'], notify: ['SUCCESS'], body: message() });
  await sys.runner.idle();
  const [fwd] = await sys.store.queue.list();
  assert.deepEqual(fwd!.rcpts.map((r) => [r.address, r.notify]), [['ann@elsewhere.test', ['SUCCESS']]]);
  assert.deepEqual(sys.dsn, []);
});

test('createLocalDelivery defers with 4.3.0 when the mailbox cannot be written, and writes no copy', async () => {
  const sys = await mtaSystem();
  const store = sys.store;
  const real = store.mailbox.bind(store);
  store.mailbox = async (userId, name) => {
    const box = await real(userId, name);
    box.append = async () => {
      throw new Error('EIO');
    };
    return box;
  };
  await sys.send({ rcpts: ['bob@example.org'], body: message() });
  await sys.runner.idle();
  const [item] = await store.queue.list();
  assert.equal(item!.rcpts[0]!.state, 'deferred');
  assert.equal(item!.rcpts[0]!.lastReply, '451 4.3.0 Mailbox temporarily unavailable');
  // Only the queued body: a CRLF body is shared, never copied.
  assert.equal(store.state.blobs.size, 1);
});
