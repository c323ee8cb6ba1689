import test from 'node:test';
import assert from 'node:assert/strict';
import { startSmtp } from '../../../testing/smtp-fakes.js';
import type { SmtpScript } from '../../../testing/smtp-client.js';

const toRcpt = (c: SmtpScript) => c.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /);

test('BDAT chunks build the message as sent (no dot-stuffing), 250 per chunk and after LAST', async (t) => {
  const { client, backend } = await startSmtp(t);
  await toRcpt(client);
  await client.sendRaw('BDAT 15\r\nSubject: a\r\n\r\n.').expect('250 2.0.0 15 octets received');
  await client.sendRaw('BDAT 6 LAST\r\n.\r\nx\r\n').expect('250 2.0.0 Message accepted');
  assert.equal(backend.lastBody, 'Subject: a\r\n\r\n..\r\nx\r\n');
});

test('BDAT chunks pipelined in one write each get their reply', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello();
  await client.sendRaw('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 3\r\nab\rBDAT 1\r\n\nBDAT 0 LAST\r\nNOOP\r\n');
  await client.expect(/^250 /).expect(/^250 /).expect('250 2.0.0 3 octets received').expect('250 2.0.0 1 octets received').expect('250 2.0.0 Message accepted').expect('250 2.0.0 OK');
  assert.equal(backend.lastBody, 'ab\r\n');
});

test('BDAT 0 LAST alone sends an empty message', async (t) => {
  const { client, backend } = await startSmtp(t);
  await toRcpt(client);
  await client.send('BDAT 0 LAST').expect(/^250 /);
  assert.equal(backend.messages[0]?.body.length, 0);
});

test('BDAT before RCPT gets 503 5.5.1 and its chunk is consumed, never read as commands', async (t) => {
  const smuggled = 'RCPT TO:<victim@y.test>\r\nDATA\r\n\r\n';
  const { client, backend } = await startSmtp(t);
  await client.hello().sendRaw('BDAT 6\r\nQUIT\r\n').expect('503 5.5.1 Bad sequence of commands: send MAIL first').send('NOOP').expect('250 2.0.0 OK');
  await client.send('MAIL FROM:<a@x.test>').expect(/^250 /).sendRaw(`BDAT ${smuggled.length}\r\n${smuggled}`).expect('503 5.5.1 Bad sequence of commands: send RCPT first');
  await client.send('NOOP').expect('250 2.0.0 OK');
  assert.deepEqual(backend.events.filter((e) => e === 'rcpt'), []);
});

test('BDAT past the size limit gets 552 5.3.4, ends the transaction, and later chunks get 503', async (t) => {
  const { client, backend } = await startSmtp(t, { limits: { maxMessageBytes: 10 } });
  await toRcpt(client);
  await client.sendRaw('BDAT 8\r\n12345678').expect(/^250 /).sendRaw('BDAT 8\r\n12345678').expect('552 5.3.4 Message size exceeds fixed maximum message size');
  await client.sendRaw('BDAT 2 LAST\r\nab').expect('503 5.5.1 Bad sequence of commands: send MAIL first');
  await client.send('RSET').expect(/^250 /).send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('BDAT 1 LAST').sendRaw('z').expect(/^250 2\.0\.0 Message accepted/);
  assert.equal(backend.aborted, 1);
  assert.equal(backend.lastBody, 'z');
});

test('BDAT announcing a chunk larger than the whole limit gets 552 5.3.4 and the connection is closed', async (t) => {
  const { client } = await startSmtp(t, { limits: { maxMessageBytes: 10 } });
  await toRcpt(client);
  await client.send('BDAT 11').expect('552 5.3.4 Message size exceeds fixed maximum message size').expectClosed();
});

test('BDAT with a size that cannot be parsed gets 501 5.5.4 and the connection is closed', async (t) => {
  const { client } = await startSmtp(t);
  await toRcpt(client);
  await client.send('BDAT ten').expect('501 5.5.4 Syntax error: expected BDAT size [LAST]').expectClosed();
});

test('BDAT with a bare LF gets 550 5.6.0 at LAST, and stores CRLF under normalize', async (t) => {
  const { client, backend } = await startSmtp(t);
  await toRcpt(client);
  await client.sendRaw('BDAT 4\r\na\nb\r').expect(/^250 /).sendRaw('BDAT 1 LAST\r\n\n').expect('550 5.6.0 Message contains bare CR or LF line ends');
  assert.equal(backend.messages.length, 0);
  const norm = await startSmtp(t, { bareNewline: 'normalize' });
  await toRcpt(norm.client);
  await norm.client.sendRaw('BDAT 4\r\na\nb\r').expect(/^250 /).sendRaw('BDAT 1 LAST\r\nc').expect(/^250 /);
  assert.equal(norm.backend.lastBody, 'a\r\nb\r\nc');
});

test('DATA after BDAT in the same transaction gets 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t);
  await toRcpt(client);
  await client.sendRaw('BDAT 2\r\nab').expect(/^250 /).send('DATA').expect('503 5.5.1 Bad sequence of commands: DATA after BDAT in one transaction');
});

test('RSET during a BDAT transfer abandons the body: the backend stores nothing', async (t) => {
  const { client, backend } = await startSmtp(t);
  await toRcpt(client);
  await client.sendRaw('BDAT 2\r\nab').expect(/^250 /).send('RSET').expect('250 2.0.0 OK');
  assert.equal(backend.aborted, 1);
  assert.equal(backend.messages.length, 0);
});
