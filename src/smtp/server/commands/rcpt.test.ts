import test from 'node:test';
import assert from 'node:assert/strict';
import { relayDenied, unknownUser } from '../../reply.js';
import { startSmtp } from '../../../testing/smtp-fakes.js';

test('RCPT before MAIL gets 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().send('RCPT TO:<b@y.test>').expect('503 5.5.1 Bad sequence of commands: send MAIL first');
});

test('RCPT gets 250 2.1.5 and hands NOTIFY and ORCPT to the backend', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client
    .hello()
    .send('MAIL FROM:<a@x.test>')
    .expect(/^250 /)
    .send('RCPT TO:<b@y.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+2Bold@y.test')
    .expect('250 2.1.5 Recipient OK')
    .send('RCPT TO:<Postmaster>')
    .expect('250 2.1.5 Recipient OK')
    .send('DATA')
    .expect(/^354 /)
    .sendRaw('x\r\n.\r\n')
    .expect(/^250 /);
  assert.deepEqual(backend.messages[0]?.rcpts, [
    { to: 'b@y.test', opts: { notify: ['SUCCESS', 'DELAY'], orcpt: 'rfc822;b+old@y.test' } },
    { to: 'Postmaster', opts: { notify: undefined, orcpt: undefined } },
  ]);
});

test('RCPT past maxRecipients gets 452 4.5.3 and the accepted recipients still get the message', async (t) => {
  const { client, backend } = await startSmtp(t, { limits: { maxRecipients: 2 } });
  await client
    .hello()
    .send('MAIL FROM:<a@x.test>')
    .expect(/^250 /)
    .send('RCPT TO:<b1@y.test>')
    .expect(/^250 /)
    .send('RCPT TO:<b2@y.test>')
    .expect(/^250 /)
    .send('RCPT TO:<b3@y.test>')
    .expect('452 4.5.3 Too many recipients')
    .send('DATA')
    .expect(/^354 /)
    .sendRaw('x\r\n.\r\n')
    .expect(/^250 /);
  assert.deepEqual(backend.messages[0]?.rcpts.map((r) => r.to), ['b1@y.test', 'b2@y.test']);
});

const malformed: [string, string][] = [
  ['RCPT TO:<>', '501 5.1.3 Bad recipient address syntax: empty address'],
  ['RCPT TO:<b@>', '501 5.1.3 Bad recipient address syntax: missing domain'],
  ['RCPT TO:<b@[999.1.1.1]>', '501 5.1.3 Bad recipient address syntax: unsupported address literal'],
  ['RCPT FROM:<b@y.test>', '501 5.5.4 Syntax error: expected RCPT TO:<address>'],
  ['RCPT TO:<b@y.test> NOTIFY=NEVER,DELAY', '501 5.5.4 Syntax error: NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY'],
  ['RCPT TO:<b@y.test> BODY=8BITMIME', '555 5.5.4 Unsupported parameter: BODY'],
  ['RCPT TO:<böb@y.test>', '553 5.6.7 Non-ASCII address requires SMTPUTF8'],
];
for (const [line, want] of malformed) {
  test(`RCPT refuses ${JSON.stringify(line)} with ${want.slice(0, 9)} and keeps the connection`, async (t) => {
    const { client } = await startSmtp(t);
    await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send(line).expect(want).send('RCPT TO:<b@y.test>').expect(/^250 /);
  });
}

test('RCPT passes on the backend policy: 550 5.1.1 unknown user, 554 5.7.1 relay denied', async (t) => {
  const { client, backend } = await startSmtp(t, {
    backendOpts: { refuseRcpt: (to) => (to === 'nobody@mx.test' ? unknownUser() : to.endsWith('@far.test') ? relayDenied() : undefined) },
  });
  await client
    .hello()
    .send('MAIL FROM:<a@x.test>')
    .expect(/^250 /)
    .send('RCPT TO:<nobody@mx.test>')
    .expect('550 5.1.1 User unknown')
    .send('RCPT TO:<b@far.test>')
    .expect('554 5.7.1 Relay access denied')
    .send('DATA')
    .expect('503 5.5.1 Bad sequence of commands: send RCPT first')
    .send('RCPT TO:<b@mx.test>')
    .expect(/^250 /);
  assert.equal(backend.messages.length, 0);
});
