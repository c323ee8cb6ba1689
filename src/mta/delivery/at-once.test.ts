import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mtaSystem } from '../../testing/mta-system.js';
import { conn, message, text } from '../../testing/mta-fixtures.js';

const multipart =
  'From: a@remote.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n' +
  '--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\nAAAA\r\n--b--\r\n';

/** Stored text and part index of every message in a user's INBOX, with the queue ids made equal. */
async function stored(sys: Awaited<ReturnType<typeof mtaSystem>>, address: string) {
  const box = await sys.store.mailbox(sys.ids[address]!);
  const out: { text: string; parts: unknown }[] = [];
  for await (const r of box.list()) out.push({ text: (await text(await box.open(r.uid))).replace(/ id \S+/, ' id ID'), parts: r.parts });
  return out;
}

test('delivery at receipt puts the message in every mailbox before 250, exactly as the queue\'s local delivery does', async () => {
  const now = await mtaSystem({ atOnce: true, start: false });
  const queued = await mtaSystem({ start: false });
  for (const sys of [now, queued]) await sys.send({ rcpts: ['ann@example.org', 'bob@example.org', 'carol@example.net'], body: multipart });
  // Nothing was queued, and the runner never ran: the copies are there when data() resolves.
  assert.deepEqual(await now.store.queue.list(), []);
  assert.equal(now.log.messages('delivered').length, 3);
  await queued.runner.runOnce();
  for (const who of ['ann@example.org', 'bob@example.org', 'carol@example.net']) {
    const a = await stored(now, who);
    const b = await stored(queued, who);
    assert.equal(a.length, 1);
    assert.deepEqual(a, b, `${who}: same bytes and same part index`);
  }
  // Every copy shares the one body blob.
  assert.equal(now.store.state.blobs.size, 1);
});

test('delivery at receipt leaves to the queue: an alias with two targets, a forward, NOTIFY=SUCCESS and a bare LF body', async () => {
  const sys = await mtaSystem({ atOnce: true, start: false, aliases: { 'team@example.org': ['ann@example.org', 'bob@example.org'], 'away@example.org': ['x@far.test'] } });
  await sys.send({ rcpts: ['team@example.org'], body: message() });
  await sys.send({ rcpts: ['away@example.org'], body: message() });
  await sys.send({ rcpts: ['ann@example.org'], notify: ['SUCCESS'], body: message() });
  await sys.send({ rcpts: ['bob@example.org'], body: 'Subject: lf\n\nbare line feeds\n' });
  assert.equal((await sys.store.queue.list()).length, 4);
  assert.equal(sys.log.messages('delivered').length, 0);
});

test('delivery at receipt: a mailbox write that fails is a temporary failure of DATA, and nothing is kept', async () => {
  const sys = await mtaSystem({ atOnce: true, start: false });
  sys.store.appendAll = async () => {
    throw new Error('EIO: disk gone');
  };
  const s = await sys.backend.newSession(conn('smtp', { helo: 'relay.remote.test', remote: '203.0.113.9' }));
  await s.mail('sender@remote.test', { smtputf8: false, requireTls: false });
  await s.rcpt('ann@example.org', {});
  await assert.rejects(() => s.data(Readable.from([Buffer.from(message())]), { size: null, bodyType: '7BIT' }), /EIO/);
  assert.deepEqual(await sys.store.queue.list(), []);
  assert.equal((await stored(sys, 'ann@example.org')).length, 0);
});

test('delivery at receipt: a user deleted between RCPT and DATA sends the message through the queue, which bounces it', async () => {
  const sys = await mtaSystem({ atOnce: true, start: false });
  const s = await sys.backend.newSession(conn('smtp', { helo: 'relay.remote.test', remote: '203.0.113.9' }));
  await s.mail('sender@remote.test', { smtputf8: false, requireTls: false });
  await s.rcpt('bob@example.org', {});
  await sys.store.users.delete('bob@example.org');
  const reply = String(await s.data(Readable.from([Buffer.from(message())]), { size: null, bodyType: '7BIT' }));
  assert.match(reply, /queued as/);
  assert.equal((await sys.store.queue.list()).length, 1);
  assert.equal(sys.log.messages('delivery at receipt not possible: queued instead').length, 1);
});
