import test from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { startSmtp } from '../../../testing/smtp-fakes.js';
import { testTls } from '../../../testing/tls.js';

test('STARTTLS answers 220 2.0.0, upgrades, and starts the session over (new backend session, tls in ConnInfo)', async (t) => {
  const { client, backend } = await startSmtp(t, { tls: await testTls() });
  await client.hello().send('STARTTLS').expect('220 2.0.0 Ready to start TLS').startTls();
  assert.equal(client.encrypted, true);
  await client.send('MAIL FROM:<a@x.test>').expect('503 5.5.1 Bad sequence of commands: send EHLO or HELO first');
  await client.send('EHLO c2.test').expect(/^250-mx.test Hello c2.test/).send('MAIL FROM:<a@x.test>').expect(/^250 /);
  await client.send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /).sendRaw('x\r\n.\r\n').expect(/^250 /);
  assert.deepEqual(backend.events.slice(0, 3), ['newSession', 'close', 'newSession']);
  assert.equal(backend.messages[0]?.conn.tls, true);
  assert.equal(backend.messages[0]?.conn.helo, 'c2.test');
});

test('STARTTLS after EHLO lists no STARTTLS, and a second STARTTLS gets 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t, { tls: await testTls() });
  await client.hello().send('STARTTLS').expect(/^220 /).startTls().send('EHLO c.test').expect(/^250 CHUNKING$/m);
  assert.doesNotMatch(client.replies.at(-1)!, /STARTTLS/);
  await client.send('STARTTLS').expect('503 5.5.1 Bad sequence of commands: TLS already active');
});

test('STARTTLS discards plaintext pipelined after it (no command injection)', async (t) => {
  const { client, backend } = await startSmtp(t, { tls: await testTls() });
  await client.hello().sendRaw('STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n').expect(/^220 /).startTls();
  await client.send('EHLO c.test').expect(/^250/).send('RCPT TO:<b@y.test>').expect('503 5.5.1 Bad sequence of commands: send MAIL first');
  assert.ok(!backend.events.includes('mail'));
});

test('STARTTLS without a certificate gets 454 4.7.0, and with an argument 501 5.5.4', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().send('STARTTLS').expect('454 4.7.0 TLS not available').send('STARTTLS now').expect('501 5.5.4 Syntax error: STARTTLS takes no arguments');
});

test('STARTTLS during a transaction gets 503 5.5.1', async (t) => {
  const { client } = await startSmtp(t, { tls: await testTls() });
  await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('STARTTLS').expect('503 5.5.1 Bad sequence of commands: STARTTLS not allowed during a mail transaction');
});

test('SmtpServer with requireTls refuses MAIL before STARTTLS with 530 5.7.0', async (t) => {
  const { client } = await startSmtp(t, { tls: await testTls(), requireTls: true });
  await client.hello().send('MAIL FROM:<a@x.test>').expect('530 5.7.0 Must issue a STARTTLS command first').send('NOOP').expect(/^250 /);
  await client.send('STARTTLS').expect(/^220 /).startTls().send('EHLO c.test').expect(/^250/).send('MAIL FROM:<a@x.test>').expect(/^250 /);
});

test('SmtpServer.setTls gives new STARTTLS upgrades the new certificate', async (t) => {
  const [first, second] = [await testTls(), await testTls('alt')];
  const { server, connect } = await startSmtp(t, { tls: first });
  const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
  const a = connect();
  await a.hello().send('STARTTLS').expect(/^220 /).startTls();
  assert.equal(a.peerFingerprint, fp(first.cert));
  server.setTls(second);
  const b = connect();
  await b.hello().send('STARTTLS').expect(/^220 /).startTls();
  assert.equal(b.peerFingerprint, fp(second.cert));
});

test('SmtpServer for submissions speaks TLS from the first byte (RFC 8314)', async (t) => {
  const { client, backend } = await startSmtp(t, { service: 'submissions', tls: await testTls(), backendOpts: { users: { a: 'b' } } });
  await client.hello().send(`AUTH PLAIN ${Buffer.from('\0a\0b').toString('base64')}`).expect(/^235 /);
  assert.equal(client.encrypted, true);
  await client.send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /).sendRaw('x\r\n.\r\n').expect(/^250 /);
  assert.deepEqual(backend.messages[0]?.conn, { helo: 'c.test', tls: true, user: 'a', remote: '127.0.0.1', service: 'submissions' });
});
