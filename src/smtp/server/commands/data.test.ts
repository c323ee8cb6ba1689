import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loopDetected } from '../../reply.js';
import { startSmtp, type SmtpFixture } from '../../../testing/smtp-fakes.js';
import type { SmtpScript } from '../../../testing/smtp-client.js';

/** Greets and opens a transaction up to the 354. */
function toData(client: SmtpScript): SmtpScript {
  return client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect('354 End data with <CR><LF>.<CR><LF>');
}

test('DATA before MAIL and before RCPT gets 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().send('DATA').expect('503 5.5.1 Bad sequence of commands: send MAIL first');
  await client.send('MAIL FROM:<a@x.test>').expect(/^250 /).send('DATA').expect('503 5.5.1 Bad sequence of commands: send RCPT first');
});

test('DATA with an argument gets 501 5.5.4', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA now').expect('501 5.5.4 Syntax error: DATA takes no arguments');
});

test('DATA answers a pipelined MAIL/RCPT/DATA group in order and unstuffs dots', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello();
  await client.sendRaw('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n').expect('250 2.1.0 Sender OK').expect('250 2.1.5 Recipient OK').expect(/^354 /);
  await client.sendRaw('Subject: hi\r\n\r\n..dot\r\n...\r\n.\r\n').expect('250 2.0.0 Message accepted');
  assert.equal(backend.lastBody, 'Subject: hi\r\n\r\n.dot\r\n..\r\n');
});

test('DATA replies with the backend text and only after data() resolved (the commit)', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { commitDelayMs: 300, acceptText: 'Queued as Q1' } });
  await toData(client);
  const sent = performance.now();
  await client.sendRaw('x\r\n.\r\n').expect('250 2.0.0 Queued as Q1');
  assert.ok(performance.now() - sent >= 280, 'the reply waited for the commit');
});

// SMTP smuggling (CVE-2023-51764 class): each variant is content; the real end refuses the message.
const smuggling: [string, string][] = [
  ['<LF>.<LF>', 'Subject: a\r\n\r\nx\n.\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\nDATA\r\nforged\r\n.\r\n'],
  ['<CR>.<CR>', 'Subject: a\r\n\r\nx\r.\rMAIL FROM:<evil@x.test>\r\n.\r\n'],
  ['<LF>.<CR><LF>', 'Subject: a\r\n\r\nx\n.\r\nMAIL FROM:<evil@x.test>\r\n.\r\n'],
  ['<CR><LF>.<LF>', 'Subject: a\r\n\r\nx\r\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n'],
];
for (const [name, body] of smuggling) {
  test(`DATA never ends at ${name}, and refuses the message after the real end with 550 5.6.0`, async (t) => {
    const { client, backend } = await startSmtp(t);
    await toData(client);
    await client.sendRaw(body).expect('550 5.6.0 Message contains bare CR or LF line ends').send('NOOP').expect('250 2.0.0 OK');
    assert.equal(backend.messages.length, 0);
    assert.equal(backend.aborted, 1, 'the backend saw its stream fail');
    assert.deepEqual(backend.events.filter((e) => e === 'mail'), ['mail'], 'no smuggled MAIL reached the backend');
  });
}

test('DATA with bareNewline normalize stores bare LF and CR as CRLF and still never ends early', async (t) => {
  const { client, backend } = await startSmtp(t, { bareNewline: 'normalize' });
  await toData(client);
  await client.sendRaw('Subject: a\n\nx\n.\nMAIL FROM:<evil@x.test>\ry\r\n.\r\n').expect('250 2.0.0 Message accepted');
  assert.equal(backend.lastBody, 'Subject: a\r\n\r\nx\r\n.\r\nMAIL FROM:<evil@x.test>\r\ny\r\n');
});

test('DATA over the size limit gets 552 5.3.4 after the terminating dot, also without SIZE, and stays in step', async (t) => {
  const { client, backend } = await startSmtp(t, { limits: { maxMessageBytes: 100 } });
  await toData(client);
  await client.sendRaw(`${'x'.repeat(78)}\r\n`.repeat(20)).sendRaw('.\r\n').expect('552 5.3.4 Message size exceeds fixed maximum message size');
  await client.send('NOOP').expect('250 2.0.0 OK');
  assert.equal(backend.messages.length, 0);
  assert.equal(backend.aborted, 1);
});

test('DATA exactly at the size limit is accepted', async (t) => {
  const { client, backend } = await startSmtp(t, { limits: { maxMessageBytes: 100 } });
  await toData(client);
  await client.sendRaw(`${'x'.repeat(98)}\r\n.\r\n`).expect(/^250 /);
  assert.equal(backend.messages[0]?.body.length, 100);
});

test('DATA refuses content sent before the 354 with 554 5.5.0 and closes', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello().sendRaw('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nSubject: early\r\n\r\nx\r\n.\r\n');
  await client.expect(/^250 /).expect(/^250 /).expect('554 5.5.0 Protocol synchronization error: input sent before the reply').expectClosed();
  assert.equal(backend.messages.length, 0);
});

test('DATA passes on a backend refusal after the end of data (554 5.4.6 loop)', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { refuseData: (b) => (b.includes('Received') ? loopDetected() : undefined) } });
  await toData(client);
  await client.sendRaw('Received: x\r\n\r\nbody\r\n.\r\n').expect('554 5.4.6 Too many Received header fields: mail loop').send('NOOP').expect(/^250 /);
});

test('DATA refused by the backend without reading still reads the body to its end before replying', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { refuseDataUnread: () => loopDetected() } });
  await toData(client);
  await client.sendRaw(`${'line\r\n'.repeat(5000)}MAIL FROM:<x@x.test>\r\n.\r\n`).expect(/^554 5\.4\.6 /).send('NOOP').expect('250 2.0.0 OK');
});

test('DATA answers an internal backend error with 451 4.3.0 and no internal text', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { refuseData: () => new Error('ENOSPC /var/lib/postroom/blobs/tmp') } });
  await toData(client);
  const reply = await client.sendRaw('x\r\n.\r\n').expect('451 4.3.0 Internal error, try again later');
  assert.doesNotMatch(reply, /ENOSPC|var/);
});

test('DATA interrupted by a disconnect stores nothing and closes the session', async (t) => {
  const fx: SmtpFixture = await startSmtp(t);
  await toData(fx.client);
  await fx.client.sendRaw('Subject: half\r\n\r\npart');
  fx.client.close();
  for (let i = 0; i < 100 && fx.backend.open > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fx.backend.messages.length, 0);
  assert.equal(fx.backend.aborted, 1);
  assert.equal(fx.backend.open, 0);
  assert.deepEqual(fx.backend.events.slice(-2), ['data', 'close']);
});

test('DATA streams a 4 MB body intact', async (t) => {
  const { client, backend } = await startSmtp(t);
  const line = `${'0123456789'.repeat(7)}abcdefgh\r\n`;
  const body = `Subject: big\r\n\r\n${line.repeat(50_000)}`;
  await toData(client);
  await client.sendRaw(body).sendRaw('.\r\n').expect(/^250 /, 20_000);
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  assert.equal(sha(backend.messages[0]!.body), sha(body));
});
