import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { AuthThrottle, runSession, silentLogger } from '../../../proto/index.js';
import { FakePop3Backend, startPop3 } from '../../../testing/pop3-fakes.js';
import { Pop3Error, temporaryFailure } from '../../reply.js';
import { Pop3Conn, type ConnContext } from '../conn.js';
import { resolvePop3Limits } from '../limits.js';
import { capabilities, pop3Commands } from './index.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('USER/PASS logs in; a wrong password gets -ERR [AUTH] after authFailureDelayMs, USER must be sent again', async (t) => {
  const { client, backend } = await startPop3(t, { limits: { authFailureDelayMs: 60 } });
  await client.expect(/^\+OK /).send('USER alice').expect('+OK Send PASS');
  const started = performance.now();
  await client.send('PASS wrong').expect('-ERR [AUTH] Authentication failed');
  assert.ok(performance.now() - started >= 55, 'the failure reply was delayed');
  await client.send('PASS s3cret').expect('-ERR Send USER first');
  await client.send('USER nobody').expect('+OK Send PASS').send('PASS x').expect('-ERR [AUTH] Authentication failed');
  await client.send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect('+OK Maildrop locked and ready, 3 messages (107 octets)');
  assert.deepEqual(backend.events, ['login alice', 'login nobody', 'login alice']);
});

test('PASS takes the rest of the line as the password, spaces and UTF-8 included (RFC 1939 §7, RFC 6856)', async (t) => {
  const { client } = await startPop3(t, { backendOpts: { users: { 'jürgen': ' pass wörd ' }, maildrops: {} } });
  await client.expect(/^\+OK /).send('USER jürgen').expect(/^\+OK/).send('PASS  pass wörd ').expect('+OK Maildrop locked and ready, 0 messages (0 octets)');
});

test('After authMaxFailures failed logins the client gets -ERR [LOGIN-DELAY] and is closed; so is its next attempt', async (t) => {
  const { client, connect } = await startPop3(t, { limits: { authMaxFailures: 3 } });
  await client.expect(/^\+OK /);
  await client.send('USER alice').expect(/^\+OK/).send('PASS a').expect('-ERR [AUTH] Authentication failed');
  await client.send(`AUTH PLAIN ${b64('\0alice\0b')}`).expect('-ERR [AUTH] Authentication failed');
  await client.send('USER alice').expect(/^\+OK/).send('PASS c').expect('-ERR [LOGIN-DELAY] Too many failed logins, try again later').expectClosed();
  await connect().expect(/^\+OK /).send('USER alice').expect('-ERR [LOGIN-DELAY] Too many failed logins, try again later').expectClosed();
  await connect().expect(/^\+OK /).send('AUTH PLAIN').expect('-ERR [LOGIN-DELAY] Too many failed logins, try again later').expectClosed();
});

test('The lockout window comes from the injected clock (options.now)', async (t) => {
  let now = 1_000_000;
  const { connect } = await startPop3(t, { now: () => now, limits: { authMaxFailures: 1, authWindowMs: 60_000 } });
  await connect().expect(/^\+OK /).send('USER alice').expect(/^\+OK/).send('PASS x').expect(/^-ERR \[LOGIN-DELAY\]/).expectClosed();
  await connect().expect(/^\+OK /).send('USER alice').expect(/^-ERR \[LOGIN-DELAY\]/);
  now += 61_000;
  await connect().login('alice', 's3cret');
});

test('A shared AuthThrottle (options.authThrottle) counts failures from other services', async (t) => {
  const throttle = new AuthThrottle({ maxFailures: 2 });
  throttle.fail('127.0.0.1');
  throttle.fail('127.0.0.1'); // e.g. two failed SMTP AUTHs
  const { client } = await startPop3(t, { authThrottle: throttle });
  await client.expect(/^\+OK /).send('USER alice').expect('-ERR [LOGIN-DELAY] Too many failed logins, try again later');
});

test('Backend [IN-USE] and [SYS/TEMP] pass through as written and do not count as failed logins; other errors become Internal error', async (t) => {
  const errors: Record<string, Error> = {
    busy: new Pop3Error('Maildrop already locked by another session', 'IN-USE'),
    down: temporaryFailure('Store unavailable, try again later'),
    bug: new TypeError('Cannot read properties of undefined (reading "uid")'),
  };
  const { client } = await startPop3(t, {
    limits: { authMaxFailures: 2 },
    backendOpts: { users: { busy: 'p', down: 'p', bug: 'p' }, loginError: (u) => errors[u] },
  });
  await client.expect(/^\+OK /);
  for (let i = 0; i < 2; i++) {
    await client.send('USER busy').expect(/^\+OK/).send('PASS p').expect('-ERR [IN-USE] Maildrop already locked by another session');
    await client.send('USER down').expect(/^\+OK/).send('PASS p').expect('-ERR [SYS/TEMP] Store unavailable, try again later');
    await client.send(`AUTH PLAIN ${b64('\0bug\0p')}`).expect('-ERR [SYS/TEMP] Internal error');
  }
});

test("authWithoutTls 'never' refuses USER, PASS and AUTH even on loopback, and CAPA lists neither USER nor SASL", async (t) => {
  const { client } = await startPop3(t, { authWithoutTls: 'never' });
  await client.expect(/^\+OK /);
  const refusal = '-ERR [AUTH] Plaintext authentication is not allowed without TLS';
  await client.send('USER alice').expect(refusal).send('PASS s3cret').expect(refusal).send(`AUTH PLAIN ${b64('\0alice\0s3cret')}`).expect(refusal);
  await client.send('AUTH').expect(refusal);
  await client.send('CAPA').expectMulti(/^\+OK/, ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'UTF8 USER', 'EXPIRE NEVER', 'IMPLEMENTATION Postroom']);
});

/** A connection over an in-memory stream pair, from a client address of our choice (no network needed). */
function memoryConn(remote: string, policy: ConnContext['authWithoutTls'], withTls: boolean): { conn: Pop3Conn; send(s: string): void; output(): string } {
  let out = '';
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString('latin1');
      done();
    },
  });
  const ctx: ConnContext = {
    hostname: 'pop.test',
    service: 'pop3',
    backend: new FakePop3Backend({ users: { alice: 's3cret' } }),
    limits: resolvePop3Limits({ authFailureDelayMs: 0 }),
    log: silentLogger,
    throttle: new AuthThrottle(),
    authWithoutTls: policy,
    apop: false,
    now: Date.now,
    secureContext: () => (withTls ? ({} as never) : null),
  };
  const conn = new Pop3Conn(socket as unknown as Socket, ctx, { remote, remotePort: 40000, local: '192.0.2.9', localPort: 110, tls: false });
  return { conn, send: (s) => socket.push(s), output: () => out };
}

test("authWithoutTls 'loopback' (the default) refuses a non-loopback client without TLS, pointing to STLS when it is offered", async () => {
  const cases: [string, ConnContext['authWithoutTls'], boolean][] = [
    ['127.0.0.1', 'loopback', true],
    ['::1', 'loopback', true],
    ['192.0.2.1', 'loopback', false],
    ['192.0.2.1', 'always', true],
    ['127.0.0.1', 'never', false],
  ];
  for (const [remote, policy, allowed] of cases) {
    const { conn } = memoryConn(remote, policy, true);
    assert.equal(conn.authAllowed(), allowed, `${remote} ${policy}`);
    assert.equal(capabilities(conn).includes('USER'), allowed);
    assert.equal(capabilities(conn).includes('SASL PLAIN LOGIN'), allowed);
    conn.reader.abort(new Error('done'));
  }
  for (const withTls of [true, false]) {
    const { conn, send, output } = memoryConn('192.0.2.1', 'loopback', withTls);
    const run = runSession(conn, pop3Commands);
    send('USER alice\r\nQUIT\r\n');
    await run;
    const hint = withTls ? '; use STLS' : '';
    assert.equal(output(), `+OK pop.test POP3 server ready\r\n-ERR [AUTH] Plaintext authentication is not allowed without TLS${hint}\r\n+OK pop.test POP3 server signing off\r\n`);
  }
});

test('AUTH with no argument lists the mechanisms as a multi-line reply', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /).send('AUTH').expectMulti('+OK Supported mechanisms follow', ['PLAIN', 'LOGIN']);
});

test('AUTH PLAIN with an initial response logs in (RFC 5034 §4)', async (t) => {
  const { client, backend } = await startPop3(t);
  await client.expect(/^\+OK /).send(`AUTH PLAIN ${b64('\0alice\0s3cret')}`).expect('+OK Maildrop locked and ready, 3 messages (107 octets)');
  await client.send('STAT').expect('+OK 3 107');
  assert.deepEqual(backend.events, ['login alice']);
});

test('AUTH PLAIN without an initial response sends an empty challenge "+ "', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /).send('auth plain').expect('+ ').send(b64('alice\0alice\0s3cret')).expect(/^\+OK Maildrop locked/);
});

test('AUTH LOGIN asks Username: and Password: in base64, or takes the user from the initial response', async (t) => {
  const { client, connect } = await startPop3(t);
  await client.expect(/^\+OK /).send('AUTH LOGIN').expect('+ VXNlcm5hbWU6').send(b64('alice')).expect('+ UGFzc3dvcmQ6').send(b64('s3cret')).expect(/^\+OK Maildrop locked/);
  await client.send('QUIT').expect(/^\+OK/);
  await connect().expect(/^\+OK /).send(`AUTH LOGIN ${b64('alice')}`).expect('+ UGFzc3dvcmQ6').send(b64('s3cret')).expect(/^\+OK Maildrop locked/);
});

test('AUTH refusals: "*" cancels, bad base64, unknown mechanism, extra arguments, another authorization identity', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /).send('AUTH LOGIN').expect(/^\+ /).send('*').expect('-ERR Authentication cancelled');
  await client.send('AUTH PLAIN').expect('+ ').send('AGFsaWNl*AHNl').expect('-ERR Invalid base64 data');
  await client.send('AUTH PLAIN AGFsaWNlAHMzY3JldA').expect('-ERR Invalid base64 data'); // missing padding
  await client.send('AUTH CRAM-MD5').expect('-ERR Unrecognized authentication mechanism');
  await client.send('AUTH PLAIN = x').expect('-ERR Syntax error: expected AUTH mechanism [initial-response]');
  await client.send(`AUTH PLAIN ${b64('boss\0alice\0s3cret')}`).expect('-ERR [AUTH] Authentication failed');
  await client.send(`AUTH PLAIN ${b64('alice\0s3cret')}`).expect('-ERR [AUTH] Authentication failed'); // malformed PLAIN
  await client.send('AUTH PLAIN =').expect('-ERR [AUTH] Authentication failed'); // empty initial response
  await client.send(`AUTH PLAIN ${b64('\0alice\0s3cret')}`).expect(/^\+OK Maildrop locked/);
});

test('APOP logs in with the MD5 of the greeting timestamp and the secret (RFC 1939 §7); a bad digest gets [AUTH]', async (t) => {
  const { client, backend } = await startPop3(t, { apop: true, backendOpts: { users: { alice: { password: 'p', apopSecret: 'tanstaaf' } } } });
  const greeting = await client.expect(/^\+OK /);
  const timestamp = /<[^>]+>/.exec(greeting)![0];
  const digest = createHash('md5').update(timestamp + 'tanstaaf').digest('hex');
  await client.send(`APOP alice ${'0'.repeat(32)}`).expect('-ERR [AUTH] Authentication failed');
  await client.send('APOP alice').expect('-ERR Syntax error: APOP needs a name and a 32-digit hex digest');
  await client.send(`APOP alice ${digest.toUpperCase()}`).expect(/^\+OK Maildrop locked/);
  assert.deepEqual(backend.events, ['apop alice', 'apop alice']);
});

test('APOP is refused when the server has it off, and the greeting has no timestamp', async (t) => {
  const { client } = await startPop3(t);
  await client.expect('+OK pop.test POP3 server ready').send(`APOP alice ${'0'.repeat(32)}`).expect('-ERR APOP not available');
});

test('UTF8 is accepted before login and changes nothing else (RFC 6856)', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /).send('UTF8').expect('+OK UTF8 enabled').send('UTF8 x').expect('-ERR Syntax error: UTF8 takes no arguments');
  await client.send('USER alice').expect(/^\+OK/).send('PASS s3cret').expect(/^\+OK/).send('RETR 1').expectMulti('+OK 39 octets');
});
