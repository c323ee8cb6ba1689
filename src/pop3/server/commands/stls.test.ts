import test from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { startPop3 } from '../../../testing/pop3-fakes.js';
import { testTls } from '../../../testing/tls.js';

const allCaps = ['TOP', 'UIDL', 'USER', 'SASL PLAIN LOGIN', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
const tailCaps = ['UTF8 USER', 'EXPIRE NEVER', 'IMPLEMENTATION Postroom'];

test('CAPA lists STLS only before TLS and before login; USER and SASL wherever plaintext logins are allowed (RFC 2449 §5)', async (t) => {
  const { client } = await startPop3(t, { tls: await testTls() });
  await client.expect(/^\+OK /).send('CAPA').expectMulti('+OK Capability list follows', [...allCaps, 'STLS', ...tailCaps]);
  await client.send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect(/^\+OK/);
  await client.send('CAPA').expectMulti('+OK Capability list follows', [...allCaps, ...tailCaps]);
});

test('CAPA without a certificate lists no STLS', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /).send('CAPA').expectMulti(/^\+OK/, [...allCaps, ...tailCaps]).send('CAPA now').expect('-ERR Syntax error: CAPA takes no arguments');
});

test("STLS answers +OK Begin TLS negotiation, upgrades, and stays in AUTHORIZATION; with 'never' USER works only after it", async (t) => {
  const { client, backend } = await startPop3(t, { tls: await testTls(), authWithoutTls: 'never' });
  await client.expect(/^\+OK /).send('USER alice').expect(/^-ERR \[AUTH\] Plaintext authentication is not allowed without TLS; use STLS$/);
  await client.send('STLS').expect('+OK Begin TLS negotiation').startTls();
  assert.equal(client.encrypted, true);
  await client.send('CAPA').expectMulti(/^\+OK/, [...allCaps, ...tailCaps]);
  await client.send('STLS').expect('-ERR TLS already active');
  await client.send('STAT').expect(/^-ERR Not logged in/).send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect(/^\+OK Maildrop locked/);
  await client.send('RETR 3').expectMulti('+OK 21 octets', 'Subject: three\r\n\r\nc\r\n');
  assert.equal(backend.conns[0]?.tls, true);
});

test('STLS discards plaintext pipelined after it in the same packet (no command injection, RFC 2595 §4)', async (t) => {
  const { client, backend } = await startPop3(t, { tls: await testTls() });
  await client.expect(/^\+OK /).sendRaw('STLS\r\nUSER alice\r\nPASS s3cret\r\n').expect('+OK Begin TLS negotiation').startTls();
  await client.send('PASS s3cret').expect('-ERR Send USER first').send('STAT').expect(/^-ERR Not logged in/);
  assert.deepEqual(backend.events, []);
});

test('STLS forgets a USER given before it', async (t) => {
  const { client } = await startPop3(t, { tls: await testTls() });
  await client.expect(/^\+OK /).send('USER alice').expect(/^\+OK/).send('STLS').expect(/^\+OK/).startTls().send('PASS s3cret').expect('-ERR Send USER first');
});

test('STLS without a certificate gets -ERR TLS not available, with an argument a syntax error, after login a state error', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /).send('STLS').expect('-ERR TLS not available').send('STLS now').expect('-ERR Syntax error: STLS takes no arguments');
  await client.send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect(/^\+OK/).send('STLS').expect('-ERR STLS is only allowed before login');
});

test('Pop3Server for pop3s speaks TLS from the first byte (RFC 8314), offers no STLS, and reports tls to the backend', async (t) => {
  const { client, backend } = await startPop3(t, { service: 'pop3s', tls: await testTls(), authWithoutTls: 'never' });
  await client.expect('+OK pop.test POP3 server ready');
  assert.equal(client.encrypted, true);
  await client.send('CAPA').expectMulti(/^\+OK/, [...allCaps, ...tailCaps]).send('STLS').expect('-ERR TLS already active');
  await client.send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect(/^\+OK/);
  assert.deepEqual({ tls: backend.conns[0]?.tls, service: backend.conns[0]?.service }, { tls: true, service: 'pop3s' });
});

test('Pop3Server.setTls gives new STLS upgrades the new certificate', async (t) => {
  const [first, second] = [await testTls(), await testTls('alt')];
  const { server, connect } = await startPop3(t, { tls: first });
  const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
  const a = connect();
  await a.expect(/^\+OK /).send('STLS').expect(/^\+OK/).startTls();
  assert.equal(a.peerFingerprint, fp(first.cert));
  server.setTls(second);
  const b = connect();
  await b.expect(/^\+OK /).send('STLS').expect(/^\+OK/).startTls();
  assert.equal(b.peerFingerprint, fp(second.cert));
});

test('A failed TLS handshake after STLS ends the session and releases nothing it did not take', async (t) => {
  const { client, server } = await startPop3(t, { tls: await testTls() });
  await client.expect(/^\+OK /).send('STLS').expect(/^\+OK/).sendRaw('this is not a TLS ClientHello\r\n\r\n').expectClosed();
  for (let i = 0; i < 100 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.connections, 0);
});
