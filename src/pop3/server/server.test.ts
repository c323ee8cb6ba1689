import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { FakePop3Backend, bigMessage, fakeMessage, sampleMessages, startPop3, until } from '../../testing/pop3-fakes.js';
import { Pop3Server } from './server.js';

test('Pop3Server runs the seed conversation: greeting, USER, PASS, STAT, LIST, RETR, DELE, QUIT with commit', async (t) => {
  const { client, backend } = await startPop3(t);
  await client
    .expect('+OK pop.test POP3 server ready')
    .send('USER alice')
    .expect('+OK Send PASS')
    .send('PASS s3cret')
    .expect('+OK Maildrop locked and ready, 3 messages (107 octets)')
    .send('STAT')
    .expect('+OK 3 107')
    .send('LIST')
    .expectMulti('+OK 3 messages (107 octets)', ['1 39', '2 47', '3 21'])
    .send('RETR 1')
    .expectMulti('+OK 39 octets', 'From: a@x.test\r\nSubject: one\r\n\r\nHello\r\n')
    .send('DELE 1')
    .expect('+OK Message 1 deleted')
    .send('QUIT')
    .expect('+OK pop.test POP3 server signing off (1 messages deleted)')
    .expectClosed();
  assert.deepEqual(backend.events, ['login alice', 'commit alice uid-1', 'release alice']);
  assert.deepEqual(backend.uids('alice'), ['uid-2', 'uid-3']);
  assert.equal(backend.conns[0]?.remote, '127.0.0.1');
  assert.equal(backend.conns[0]?.service, 'pop3');
  assert.equal(backend.conns[0]?.tls, false);
});

test('Pop3Server greets with an APOP timestamp <pid.random.time@hostname> when apop is on, unique per connection', async (t) => {
  const { connect } = await startPop3(t, { apop: true });
  const a = await connect().expect(/^\+OK pop\.test POP3 server ready <\d+\.[0-9a-f]{16}\.\d+@pop\.test>$/);
  const b = await connect().expect(/^\+OK /);
  assert.notEqual(a, b);
  assert.ok(a.includes(`<${process.pid}.`));
});

test('Pop3Server refuses a connection over the per-client limit with -ERR [SYS/TEMP] Too many connections and closes', async (t) => {
  const { connect, server } = await startPop3(t, { limits: { maxConnectionsPerIp: 2 } });
  const a = connect();
  await a.expect(/^\+OK /);
  await connect().expect(/^\+OK /);
  await connect().expect('-ERR [SYS/TEMP] Too many connections').expectClosed();
  assert.equal(server.connections, 2);
  await a.send('QUIT').expect(/^\+OK /).expectClosed();
  await until(() => server.connections === 1);
  await connect().expect(/^\+OK /);
});

test('Pop3Server refuses a connection over the total limit with -ERR [SYS/TEMP] Too many connections', async (t) => {
  const { connect } = await startPop3(t, { limits: { maxConnections: 1 } });
  await connect().expect(/^\+OK /);
  await connect().expect('-ERR [SYS/TEMP] Too many connections').expectClosed();
});

test('Pop3Server refuses bad options: hostname with "<", pop3s without a certificate, bad limits', () => {
  const backend = { login: async () => Promise.reject(new Error('x')), apop: async () => Promise.reject(new Error('x')) };
  assert.throws(() => new Pop3Server({ hostname: 'a<b', service: 'pop3', backend }), /hostname/);
  assert.throws(() => new Pop3Server({ hostname: 'pop.test', service: 'pop3s', backend }), /certificate/);
  assert.throws(() => new Pop3Server({ hostname: 'pop.test', service: 'pop3', backend, limits: { maxErrors: 0 } }), /maxErrors/);
});

test('Pop3Server.close: idle sessions and new connections get [SYS/TEMP] Server shutting down, a QUIT commits, nothing else does', async (t) => {
  const { connect, server, backend } = await startPop3(t, {
    backendOpts: { users: { alice: 'a', bob: 'b' }, maildrops: { alice: [...sampleMessages], bob: [...sampleMessages] }, commitDelayMs: 200 },
  });
  const idle = connect();
  const quitting = connect();
  await idle.login('alice', 'a').send('DELE 1').expect(/^\+OK /);
  await quitting.login('bob', 'b').send('DELE 2').expect(/^\+OK /).send('QUIT');
  await until(() => backend.events.includes('commit bob uid-2'));
  const closing = server.close({ deadlineMs: 5000 });
  await idle.expect('-ERR [SYS/TEMP] Server shutting down').expectClosed();
  await connect().expect('-ERR [SYS/TEMP] Server shutting down').expectClosed();
  await quitting.expect(/^\+OK pop\.test POP3 server signing off/).expectClosed();
  await closing;
  assert.deepEqual(backend.uids('alice'), ['uid-1', 'uid-2', 'uid-3'], 'no commit without QUIT');
  assert.deepEqual(backend.uids('bob'), ['uid-1', 'uid-3']);
  assert.equal(backend.open, 0);
  assert.equal(backend.doubleReleases, 0);
  assert.equal(server.connections, 0);
});

test('Pop3Server.close lets a RETR in progress finish, then says shutting down', async (t) => {
  const big = bigMessage('big', 300); // 300 KB in 20 chunks of 16 KB, 10 ms apart
  const { client, server, backend } = await startPop3(t, { backendOpts: { maildrops: { alice: [big] }, chunkDelayMs: 10 } });
  await client.login('alice', 's3cret').send('RETR 1');
  await until(() => (backend.opens[0]?.produced ?? 0) > 0);
  const closing = server.close({ deadlineMs: 5000 });
  await client.expectMulti(`+OK ${big.size} octets`).expect('-ERR [SYS/TEMP] Server shutting down').expectClosed();
  await closing;
  assert.equal(client.lastBody.length, big.size);
  assert.ok(!backend.events.some((e) => e.startsWith('commit')));
  assert.deepEqual(backend.events, ['login alice', 'release alice']);
});

test('Pop3Server.close at its deadline cuts a RETR off without the terminating dot and releases the maildrop', async (t) => {
  const { client, server, backend } = await startPop3(t, { backendOpts: { maildrops: { alice: [bigMessage('big', 100_000)] }, chunkDelayMs: 20 } });
  await client.login('alice', 's3cret').send('RETR 1').expect(/^\+OK 100000016 octets$/);
  const started = performance.now();
  await server.close({ deadlineMs: 150 });
  assert.ok(performance.now() - started < 3000);
  await until(() => backend.open === 0);
  assert.deepEqual(backend.events, ['login alice', 'release alice']);
  assert.equal(backend.opens[0]?.destroyed, true);
  assert.ok(backend.opens[0]!.produced < 10_000_000);
});

test('Pop3Server closes a session idle longer than idleTimeoutMs with -ERR Idle timeout, without UPDATE', async (t) => {
  const { client, backend } = await startPop3(t, { limits: { idleTimeoutMs: 150 } });
  await client.login('alice', 's3cret').send('DELE 1').expect(/^\+OK /).sendRaw('NOO').expect('-ERR Idle timeout', 2000).expectClosed();
  await until(() => backend.open === 0);
  assert.deepEqual(backend.events, ['login alice', 'release alice']);
  assert.deepEqual(backend.uids('alice'), ['uid-1', 'uid-2', 'uid-3']);
});

test('Pop3Server ends a session older than sessionTimeoutMs, however busy', async (t) => {
  const { client } = await startPop3(t, { limits: { sessionTimeoutMs: 300 } });
  await client.login('alice', 's3cret');
  const started = performance.now();
  for (let i = 0; i < 40; i++) {
    await client.send('NOOP').then(undefined, () => undefined); // the server may have closed already
    const reply = await client.readLine(2000);
    if (reply.startsWith('-ERR')) {
      assert.equal(reply, '-ERR Idle timeout');
      assert.ok(performance.now() - started < 5000);
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('no -ERR within 40 commands');
});

test('Pop3Server answers unknown commands with -ERR Unknown command and goes on; after maxErrors: -ERR Too many errors and close', async (t) => {
  const { client } = await startPop3(t, { limits: { maxErrors: 5 } });
  await client.expect(/^\+OK /).send('XTND XMIT').expect('-ERR Unknown command').send('CAPA').expectMulti(/^\+OK /);
  for (let i = 0; i < 3; i++) await client.send('BOGUS').expect('-ERR Unknown command');
  await client.send('AUTH').expectMulti(/^\+OK /); // successes do not reset the count
  await client.send('BOGUS').expect('-ERR Unknown command').expect('-ERR Too many errors').expectClosed();
});

test('Pop3Server refuses commands in the wrong state with a reason, and the session goes on', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /);
  for (const cmd of ['STAT', 'LIST', 'UIDL', 'RETR 1', 'TOP 1 0', 'DELE 1', 'RSET', 'NOOP']) {
    await client.send(cmd).expect('-ERR Not logged in: send USER and PASS, APOP or AUTH first');
  }
  await client.send('PASS x').expect('-ERR Send USER first');
  await client.send('USER alice').expect(/^\+OK /).send('PASS s3cret').expect(/^\+OK /);
  for (const cmd of ['USER alice', 'PASS s3cret', 'APOP alice 0123456789abcdef0123456789abcdef', 'AUTH PLAIN']) {
    await client.send(cmd).expect('-ERR Already logged in');
  }
  await client.send('STLS').expect('-ERR STLS is only allowed before login').send('UTF8').expect('-ERR UTF8 is only allowed before login');
  await client.send('STAT').expect('+OK 3 107');
});

test('Pop3Server answers a 10 MB command line with -ERR Line too long, without buffering it, and goes on', async (t) => {
  const { client } = await startPop3(t);
  await client.login('alice', 's3cret');
  const before = process.memoryUsage().rss;
  const chunk = Buffer.alloc(1024 * 1024, 0x41);
  await client.sendRaw('LIST ');
  for (let i = 0; i < 10; i++) await client.sendRaw(chunk);
  await client.sendRaw('\r\n').expect('-ERR Line too long', 10_000).send('STAT').expect('+OK 3 107');
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'RSS grew by less than 64 MiB');
});

test('Pop3Server holds command lines to 255 octets with CRLF (RFC 2449 §4), AUTH lines to maxAuthLineBytes', async (t) => {
  const { client } = await startPop3(t);
  await client.expect(/^\+OK /);
  await client.send(`USER ${'a'.repeat(248)}`).expect('+OK Send PASS'); // 253 + CRLF = 255
  await client.send(`USER ${'a'.repeat(249)}`).expect('-ERR Line too long');
  await client.send(`AUTH PLAIN ${Buffer.from(`\0alice\0${'p'.repeat(600)}`).toString('base64')}`).expect('-ERR [AUTH] Authentication failed');
  await client.send(`AUTH PLAIN ${'A'.repeat(13_000)}`).expect('-ERR Line too long').send('CAPA').expectMulti(/^\+OK /);
});

test('Pop3Server refuses NUL and 8-bit bytes in commands with a reason, and goes on', async (t) => {
  const { client } = await startPop3(t);
  await client.login('alice', 's3cret');
  await client.sendRaw('STAT\0\r\n').expect('-ERR Syntax error: NUL byte in command line');
  await client.sendRaw('RETR \0 1\r\n').expect('-ERR Syntax error: NUL byte in command line');
  await client.sendRaw(Buffer.from('LIST \xe9\r\n', 'latin1')).expect('-ERR Syntax error: 8-bit byte in command line');
  await client.send('STAT').expect('+OK 3 107');
});

test('Pop3Server answers a pipelined flood of 10,000 commands in order', async (t) => {
  const { client } = await startPop3(t);
  await client.login('alice', 's3cret');
  const sizes = [39, 47, 21];
  const lines: string[] = [];
  for (let i = 0; i < 10_000; i++) lines.push(i % 4 === 3 ? 'UIDL 2' : `LIST ${(i % 4) + 1}`);
  await client.sendRaw(lines.map((l) => `${l}\r\n`).join(''));
  for (let i = 0; i < 10_000; i++) {
    const got = await client.readLine(10_000);
    const want = i % 4 === 3 ? '+OK 2 uid-2' : `+OK ${(i % 4) + 1} ${sizes[i % 4]}`;
    if (got !== want) assert.fail(`reply ${i}: ${got} (want ${want})`);
  }
  await client.send('STAT').expect('+OK 3 107');
});

test('Pop3Server answers an error that is not a Pop3Error with -ERR [SYS/TEMP] Internal error and logs it', async (t) => {
  const logged: object[] = [];
  const log = { info: () => {}, warn: () => {}, error: (o: object) => void logged.push(o) };
  const { client } = await startPop3(t, { log, backendOpts: { openError: () => new Error('disk /var/secret on fire') } });
  await client.login('alice', 's3cret').send('RETR 1').expect('-ERR [SYS/TEMP] Internal error').send('STAT').expect('+OK 3 107');
  assert.ok(logged.some((o) => (o as { err?: Error }).err?.message === 'disk /var/secret on fire' && 'conn' in o));
  assert.ok(!client.replies.some((r) => r.includes('secret')));
});

test('Pop3Server sizes come from the snapshot and are never recomputed', async (t) => {
  const m = { ...fakeMessage('odd', 'Subject: x\r\n\r\nbody\r\n'), size: 999 };
  const { client } = await startPop3(t, { backendOpts: { maildrops: { alice: [m] } } });
  await client.login('alice', 's3cret').send('LIST').expectMulti('+OK 1 messages (999 octets)', ['1 999']).send('STAT').expect('+OK 1 999');
  await client.send('RETR 1').expectMulti('+OK 999 octets', 'Subject: x\r\n\r\nbody\r\n');
});

test('Pop3Server accepts a client on ::1 as loopback when listening on IPv6', async (t) => {
  const server = new Pop3Server({ hostname: 'pop.test', service: 'pop3', backend: new FakePop3Backend({ users: { alice: 's3cret' } }) });
  let port: number;
  try {
    port = (await server.listen(0, '::1')).port;
  } catch {
    t.skip('no IPv6 loopback here');
    return;
  }
  t.after(() => server.close({ deadlineMs: 100 }));
  const sock = connect(port, '::1');
  const got = await new Promise<string>((resolve) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.split('\r\n').length === 3) resolve(buf);
    });
    sock.write('USER alice\r\n');
  });
  sock.destroy();
  assert.equal(got, '+OK pop.test POP3 server ready\r\n+OK Send PASS\r\n');
});
