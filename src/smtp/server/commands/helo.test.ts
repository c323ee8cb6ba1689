import test from 'node:test';
import assert from 'node:assert/strict';
import { startSmtp } from '../../../testing/smtp-fakes.js';

test('HELO answers 250 with the host name only, and a transaction follows', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client
    .expect(/^220 /)
    .send('HELO old.test')
    .expect('250 mx.test')
    .send('MAIL FROM:<a@x.test>')
    .expect('250 2.1.0 Sender OK')
    .send('RCPT TO:<b@y.test>')
    .expect(/^250 /)
    .send('DATA')
    .expect(/^354 /)
    .sendRaw('Subject: x\r\n\r\nbody\r\n.\r\n')
    .expect(/^250 /);
  assert.equal(backend.messages[0]?.conn.helo, 'old.test');
});

test('HELO without a domain gets 501 5.5.4', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('HELO').expect('501 5.5.4 Syntax error: HELO requires a domain or address literal');
});
