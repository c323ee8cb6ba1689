import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpServer } from '../smtp/server/index.js';
import { SmtpScript } from '../testing/smtp-client.js';
import { mtaSystem, type MtaSystem } from '../testing/mta-system.js';

/** Returns the client inside an object: SmtpScript is a thenable, so an async function would unwrap it. */
async function listen(t: TestContext, sys: MtaSystem, service: 'smtp' | 'submission'): Promise<{ c: SmtpScript }> {
  const server = new SmtpServer({ hostname: 'mx.example.org', service, backend: sys.backend, limits: { authFailureDelayMs: 0 } });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = SmtpScript.open(port);
  t.after(async () => {
    client.close();
    await server.close({ deadlineMs: 200 });
  });
  return { c: client };
}

test('mta over SmtpServer port 25: policy replies on the wire, 250 after the queue, delivery byte for byte', async (t) => {
  const sys = await mtaSystem();
  const { c } = await listen(t, sys, 'smtp');
  await c.expect(/^220 /).send('EHLO relay.remote.test').expect(/^250[ -]/m);
  await c.send('MAIL FROM:<sender@remote.test>').expect(/^250 2\.1\.0 /);
  await c.send('RCPT TO:<nobody@example.org>').expect(/^550 5\.1\.1 /);
  await c.send('RCPT TO:<x@elsewhere.test>').expect('554 5.7.1 Relay access denied');
  await c.send('RCPT TO:<Bob@EXAMPLE.org>').expect(/^250 2\.1\.5 /);
  await c.send('DATA').expect(/^354 /);
  const body = 'From: sender@remote.test\r\nTo: bob@example.org\r\nSubject: wire\r\n\r\nHello\r\n..dot\r\n';
  const reply = await c.sendRaw(`${body}.\r\n`).expect(/^250 2\.0\.0 Ok: queued as \S+$/);
  const id = /queued as (\S+)$/.exec(reply)![1]!;
  await c.send('QUIT').expect(/^221 /);
  await sys.runner.idle();
  const [msg] = await sys.inbox('bob@example.org');
  assert.ok(msg!.text.startsWith('Return-Path: <sender@remote.test>\r\nDelivered-To: bob@example.org\r\nReceived: from relay.remote.test (127.0.0.1 [127.0.0.1])\r\n'));
  assert.match(msg!.text, new RegExp(`\\tby mx\\.example\\.org with ESMTP id ${id}\\r\\n\\tfor <Bob@example\\.org>; `));
  assert.equal(msg!.text.slice(msg!.text.indexOf('From: sender')), body.replace('..dot', '.dot'));
});

test('mta over SmtpServer submission: AUTH PLAIN, sender ownership 553 5.7.1, any recipient', async (t) => {
  const sys = await mtaSystem();
  const { c } = await listen(t, sys, 'submission');
  await c.expect(/^220 /).send('EHLO laptop').expect(/AUTH PLAIN LOGIN/);
  await c.send('MAIL FROM:<ann@example.org>').expect(/^530 5\.7\.0 /);
  await c.send(`AUTH PLAIN ${Buffer.from('\0ann@example.org\0wrong').toString('base64')}`).expect(/^535 5\.7\.8 /);
  await c.send(`AUTH PLAIN ${Buffer.from('\0ann@example.org\0secret').toString('base64')}`).expect(/^235 /);
  await c.send('MAIL FROM:<bob@example.org>').expect(/^553 5\.7\.1 /);
  await c.send('MAIL FROM:<ann@example.org>').expect(/^250 /);
  await c.send('RCPT TO:<friend@elsewhere.test>').expect(/^250 /);
  await c.send('RCPT TO:<bob@example.org>').expect(/^250 /);
  await c.send('DATA').expect(/^354 /);
  await c.sendRaw('Subject: hi\r\n\r\nx\r\n.\r\n').expect(/^250 2\.0\.0 Ok: queued as /);
  await c.send('QUIT').expect(/^221 /);
  await sys.runner.idle();
  const [msg] = await sys.inbox('bob@example.org');
  assert.match(msg!.text, /with ESMTPA id /);
  const [item] = await sys.store.queue.list();
  assert.deepEqual(item!.rcpts.map((r) => [r.address, r.state]), [['friend@elsewhere.test', 'deferred'], ['bob@example.org', 'delivered']]);
});

test('mta over SmtpServer refuses 51 Received fields with 554 5.4.6 after the end of data', async (t) => {
  const sys = await mtaSystem();
  const { c } = await listen(t, sys, 'smtp');
  await c.expect(/^220 /).send('EHLO relay.remote.test').expect(/^250[ -]/m);
  await c.send('MAIL FROM:<sender@remote.test>').expect(/^250 /);
  await c.send('RCPT TO:<bob@example.org>').expect(/^250 /);
  await c.send('DATA').expect(/^354 /);
  const trace = Array.from({ length: 51 }, (_, i) => `Received: from h${i} by h${i + 1}; Thu, 1 Jan 2026 00:00:00 +0000\r\n`).join('');
  await c.sendRaw(`${trace}Subject: loop\r\n\r\n${'body line\r\n'.repeat(5000)}.\r\n`).expect(/^554 5\.4\.6 /);
  await c.send('NOOP').expect(/^250 /);
  assert.equal((await sys.store.queue.list()).length, 0);
});
