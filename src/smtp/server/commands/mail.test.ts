import test from 'node:test';
import assert from 'node:assert/strict';
import { senderNotOwned } from '../../reply.js';
import { startSmtp } from '../../../testing/smtp-fakes.js';

test('MAIL before EHLO gets 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /).send('MAIL FROM:<a@x.test>').expect('503 5.5.1 Bad sequence of commands: send EHLO or HELO first');
});

test('MAIL gets 250 2.1.0 and hands the sender and SIZE, BODY, RET, ENVID to the backend', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<a@x.test> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=id+2B1 AUTH=<>').expect('250 2.1.0 Sender OK');
  await client.send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /).sendRaw('x\r\n.\r\n').expect(/^250 /);
  const m = backend.messages[0]!;
  assert.equal(m.from, 'a@x.test');
  assert.deepEqual(m.mail, { size: 100, body: '8BITMIME', smtputf8: false, ret: 'HDRS', envid: 'id+1', requireTls: false });
  assert.deepEqual(m.info, { size: 100, bodyType: '8BITMIME' });
});

test('MAIL accepts the null sender <> and a space after the colon', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<>').expect(/^250 /).send('RSET').expect(/^250 /).send('mail from: <a@x.test>').expect(/^250 /);
});

test('MAIL inside a transaction gets 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('MAIL FROM:<b@x.test>').expect('503 5.5.1 Bad sequence of commands: nested MAIL command');
});

const malformed: [string, string][] = [
  ['MAIL FROM:<a@x.test', '501 5.1.7 Bad sender address syntax: missing ">"'],
  ['MAIL FROM:<ax.test>', '501 5.1.7 Bad sender address syntax: missing domain'],
  ['MAIL FROM:<a@x..test>', '501 5.1.7 Bad sender address syntax: invalid domain'],
  ['MAIL FROM:<a b@x.test>', '501 5.1.7 Bad sender address syntax: invalid local part'],
  ['MAIL TO:<a@x.test>', '501 5.5.4 Syntax error: expected MAIL FROM:<address>'],
  ['MAIL FROM:<a@x.test> FOO=1', '555 5.5.4 Unsupported parameter: FOO'],
  ['MAIL FROM:<a@x.test> SIZE=abc', '501 5.5.4 Syntax error: SIZE requires a number'],
  ['MAIL FROM:<a@x.test> SIZE=26214401', '552 5.3.4 Message size exceeds fixed maximum message size'],
  ['MAIL FROM:<jörg@x.test>', '553 5.6.7 Non-ASCII address requires SMTPUTF8'],
  ['MAIL FROM:<a@x.test>\0', '500 5.5.2 Syntax error: NUL byte in command line'],
];
for (const [line, want] of malformed) {
  test(`MAIL refuses ${JSON.stringify(line)} with ${want.slice(0, 9)} and keeps the connection`, async (t) => {
    const { client } = await startSmtp(t);
    await client.hello().send(line).expect(want).send('MAIL FROM:<a@x.test>').expect('250 2.1.0 Sender OK');
  });
}

test('MAIL refuses bytes that are not UTF-8 with 500 5.5.2', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().sendRaw(Buffer.from('MAIL FROM:<j\xf6rg@x.test> SMTPUTF8\r\n', 'latin1')).expect('500 5.5.2 Syntax error: command line is not valid UTF-8');
});

test('MAIL accepts a UTF-8 sender with SMTPUTF8', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<jörg@bücher.test> SMTPUTF8').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /).sendRaw('x\r\n.\r\n').expect(/^250 /);
  assert.equal(backend.messages[0]?.from, 'jörg@bücher.test');
  assert.equal(backend.messages[0]?.mail.smtputf8, true);
});

test('MAIL on submission before AUTH gets 530 5.7.0', async (t) => {
  const { client } = await startSmtp(t, { service: 'submission', backendOpts: { users: { a: 'b' } } });
  await client.hello().send('MAIL FROM:<a@x.test>').expect('530 5.7.0 Authentication required');
  await client.send(`AUTH PLAIN ${Buffer.from('\0a\0b').toString('base64')}`).expect(/^235 /).send('MAIL FROM:<a@x.test>').expect(/^250 /);
});

test('MAIL gets 452 4.3.1 when the disk is nearly full, with the declared SIZE asked about', async (t) => {
  const asked: number[] = [];
  const { client } = await startSmtp(t, { hasSpaceFor: async (n) => (asked.push(n), n < 1000) });
  await client.hello().send('MAIL FROM:<a@x.test> SIZE=5000').expect('452 4.3.1 Insufficient system storage').send('MAIL FROM:<a@x.test>').expect(/^250 /);
  assert.deepEqual(asked, [5000, 0]);
});

test('MAIL passes on the backend refusal as written', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { refuseMail: (f) => (f === 'x@other.test' ? senderNotOwned() : undefined) } });
  await client.hello().send('MAIL FROM:<x@other.test>').expect('553 5.7.1 Sender address not owned by the authenticated user').send('MAIL FROM:<a@x.test>').expect(/^250 /);
});

test('MAIL after a finished transaction resets the backend session first', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client.hello();
  for (let i = 0; i < 2; i++) {
    await client.send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /).sendRaw('x\r\n.\r\n').expect(/^250 /);
  }
  assert.deepEqual(backend.events, ['newSession', 'mail', 'rcpt', 'data', 'reset', 'mail', 'rcpt', 'data']);
  assert.equal(backend.messages.length, 2);
});
