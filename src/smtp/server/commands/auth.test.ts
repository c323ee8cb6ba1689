import test from 'node:test';
import assert from 'node:assert/strict';
import { startSmtp } from '../../../testing/smtp-fakes.js';
import { testTls } from '../../../testing/tls.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const users = { alice: 'secret' };

test('AUTH PLAIN with an initial response answers 235 2.7.0 and the backend sees the user', async (t) => {
  const { client, backend } = await startSmtp(t, { backendOpts: { users } });
  await client.hello().send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect('235 2.7.0 Authentication successful');
  await client.send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /).sendRaw('x\r\n.\r\n').expect(/^250 /);
  assert.equal(backend.messages[0]?.conn.user, 'alice');
});

test('AUTH PLAIN without an initial response sends an empty 334 challenge', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { users } });
  await client.hello().send('AUTH PLAIN').expect('334 ').send(b64('\0alice\0secret')).expect(/^235 /);
});

test('AUTH PLAIN with "=" as initial response means empty, which is malformed: 535 5.7.8', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { users } });
  await client.hello().send('AUTH PLAIN =').expect('535 5.7.8 Authentication credentials invalid');
});

test('AUTH LOGIN asks Username: and Password: in base64', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { users } });
  await client.hello().send('AUTH LOGIN').expect('334 VXNlcm5hbWU6').send(b64('alice')).expect('334 UGFzc3dvcmQ6').send(b64('secret')).expect(/^235 /);
  const quick = await startSmtp(t, { backendOpts: { users } });
  await quick.client.hello().send(`AUTH LOGIN ${b64('alice')}`).expect('334 UGFzc3dvcmQ6').send(b64('secret')).expect(/^235 /);
});

test('AUTH with a wrong password gets 535 5.7.8 only after authFailureDelayMs', async (t) => {
  const { client } = await startSmtp(t, { limits: { authFailureDelayMs: 200 }, backendOpts: { users } });
  await client.hello();
  const sent = performance.now();
  await client.send(`AUTH PLAIN ${b64('\0alice\0wrong')}`).expect('535 5.7.8 Authentication credentials invalid');
  assert.ok(performance.now() - sent >= 190, 'the failure was delayed');
  await client.send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect(/^235 /);
});

test('AUTH locks a client out after 10 failures in 15 minutes with 454 4.7.0, and lets it in after', async (t) => {
  let now = 1_000_000;
  const { client, connect } = await startSmtp(t, { now: () => now, backendOpts: { users } });
  await client.hello();
  for (let i = 0; i < 10; i++) await client.send(`AUTH PLAIN ${b64('\0alice\0wrong')}`).expect(/^535 /);
  const other = connect();
  await other.hello().send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect('454 4.7.0 Too many authentication failures, try again later');
  now += 15 * 60_000 + 1;
  await other.send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect(/^235 /);
});

const refusals: [string, string, string][] = [
  ['invalid base64 in the initial response', `AUTH PLAIN ${b64('\0alice\0secret')}*`, '501 5.5.2 Invalid base64 data'],
  ['an unknown mechanism', 'AUTH CRAM-MD5', '504 5.5.4 Unrecognized authentication mechanism'],
  ['no mechanism', 'AUTH', '501 5.5.4 Syntax error: expected AUTH mechanism [initial-response]'],
  ['too many arguments', 'AUTH PLAIN a b', '501 5.5.4 Syntax error: expected AUTH mechanism [initial-response]'],
];
for (const [name, line, want] of refusals) {
  test(`AUTH refuses ${name} with ${want.slice(0, 9)}`, async (t) => {
    const { client } = await startSmtp(t, { backendOpts: { users } });
    await client.hello().send(line).expect(want).send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect(/^235 /);
  });
}

test('AUTH responses: "*" cancels with 501 5.7.0, invalid base64 gets 501 5.5.2', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { users } });
  await client.hello().send('AUTH LOGIN').expect(/^334 /).send('*').expect('501 5.7.0 Authentication cancelled');
  await client.send('AUTH LOGIN').expect(/^334 /).send('YWxp Y2U=').expect('501 5.5.2 Invalid base64 data');
});

test('AUTH accepts lines beyond the command limit up to maxAuthLineBytes, then 500 5.5.6', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { users } });
  const long = b64(`\0alice\0${'x'.repeat(1000)}`); // ~1.3 kB in a 4 kB command limit: fine either way
  await client.hello().send(`AUTH PLAIN ${long}`).expect(/^535 /);
  const longer = b64(`\0alice\0${'x'.repeat(6000)}`); // 8 kB: over the command limit, within 12,288
  await client.send(`AUTH PLAIN ${longer}`).expect('535 5.7.8 Authentication credentials invalid');
  await client.send(`NOOP ${'x'.repeat(5000)}`).expect('500 5.5.6 Line too long');
  await client.send(`AUTH PLAIN ${'A'.repeat(13_000)}`).expect('500 5.5.6 Line too long');
  await client.send('AUTH PLAIN').expect('334 ').send('A'.repeat(13_000)).expect('500 5.5.6 Line too long');
  await client.send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect(/^235 /);
});

test('AUTH twice gets 503 5.5.1; AUTH in a transaction and before EHLO get 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t, { backendOpts: { users } });
  await client.expect(/^220 /).send('AUTH PLAIN').expect('503 5.5.1 Bad sequence of commands: send EHLO or HELO first');
  await client.send('EHLO c.test').expect(/^250/).send('MAIL FROM:<a@x.test>').expect(/^250 /).send('AUTH PLAIN').expect('503 5.5.1 Bad sequence of commands: AUTH not allowed during a mail transaction');
  await client.send('RSET').expect(/^250 /).send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect(/^235 /).send('AUTH PLAIN').expect('503 5.5.1 Bad sequence of commands: already authenticated');
});

test('AUTH without TLS gets 538 5.7.11 when authWithoutTls is never, and works after STARTTLS', async (t) => {
  const { client } = await startSmtp(t, { tls: await testTls(), authWithoutTls: 'never', backendOpts: { users } });
  await client.hello().send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect('538 5.7.11 Encryption required for requested authentication mechanism');
  await client.send('STARTTLS').expect(/^220 /).startTls().send('EHLO c.test').expect(/AUTH PLAIN LOGIN/).send(`AUTH PLAIN ${b64('\0alice\0secret')}`).expect(/^235 /);
});
