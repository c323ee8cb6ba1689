import test from 'node:test';
import assert from 'node:assert/strict';
import { startSmtp } from '../../testing/smtp-fakes.js';

test('SmtpServer runs the seed conversation: 220, HELO 250, MAIL, RCPT, DATA 354, body, 250, QUIT 221', async (t) => {
  const { client, backend } = await startSmtp(t);
  await client
    .expect('220 mx.test ESMTP Postroom')
    .send('HELO client.test')
    .expect('250 mx.test')
    .send('MAIL FROM:<alice@x.test>')
    .expect('250 2.1.0 Sender OK')
    .send('RCPT TO:<bob@y.test>')
    .expect('250 2.1.5 Recipient OK')
    .send('DATA')
    .expect(/^354 /)
    .sendRaw('From: alice@x.test\r\nTo: bob@y.test\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nHello\r\n.\r\n')
    .expect('250 2.0.0 Message accepted')
    .send('QUIT')
    .expect('221 2.0.0 mx.test Service closing transmission channel')
    .expectClosed();
  assert.equal(backend.messages.length, 1);
  const m = backend.messages[0]!;
  assert.equal(m.from, 'alice@x.test');
  assert.deepEqual(m.rcpts.map((r) => r.to), ['bob@y.test']);
  assert.equal(m.body.toString(), 'From: alice@x.test\r\nTo: bob@y.test\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nHello\r\n');
  assert.equal(m.conn.helo, 'client.test');
});

test('SmtpServer greets over the per-client connection limit with 421 4.7.0 and closes', async (t) => {
  const { connect, server } = await startSmtp(t, { limits: { maxConnectionsPerIp: 2 } });
  const a = connect();
  const b = connect();
  await a.expect(/^220 /);
  await b.expect(/^220 /);
  await connect().expect('421 4.7.0 mx.test Too many connections, try again later').expectClosed();
  assert.equal(server.connections, 2);
  await a.send('QUIT').expect(/^221 /).expectClosed();
  for (let i = 0; i < 50 && server.connections > 1; i++) await new Promise((r) => setTimeout(r, 10));
  await connect().expect(/^220 /);
});

test('SmtpServer greets over the total connection limit with 421 4.7.0', async (t) => {
  const { connect } = await startSmtp(t, { limits: { maxConnections: 1 } });
  await connect().expect(/^220 /);
  await connect().expect('421 4.7.0 mx.test Too many connections, try again later').expectClosed();
});

test('SmtpServer.close sends 421 4.3.2 to idle sessions and to new connections, lets a transaction finish, then closes', async (t) => {
  const { connect, server, backend } = await startSmtp(t, { backendOpts: { commitDelayMs: 200 } });
  const idle = connect();
  const busy = connect();
  await idle.hello();
  await busy.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /);
  const closing = server.close({ deadlineMs: 5000 });
  await idle.expect('421 4.3.2 mx.test Service shutting down, closing connection').expectClosed();
  await connect().expect('421 4.3.2 mx.test Service shutting down, closing connection').expectClosed();
  await busy.send('DATA').expect(/^354 /).sendRaw('x\r\n.\r\n').expect('250 2.0.0 Message accepted').expect(/^421 4\.3\.2 /).expectClosed();
  await closing;
  assert.equal(backend.messages.length, 1);
  assert.equal(server.connections, 0);
});

test('SmtpServer.close at its deadline interrupts a body in flight: 421 4.3.2 and nothing stored', async (t) => {
  const { client, server, backend } = await startSmtp(t);
  await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /).sendRaw('Subject: half\r\n');
  const started = performance.now();
  await server.close({ deadlineMs: 150 });
  assert.ok(performance.now() - started < 3000);
  await client.expect(/^421 4\.3\.2 /).expectClosed();
  assert.equal(backend.messages.length, 0);
  assert.equal(backend.aborted, 1);
});

test('SmtpServer closes a session idle longer than commandTimeoutMs with 421 4.4.2', async (t) => {
  const { client, backend } = await startSmtp(t, { limits: { commandTimeoutMs: 150 } });
  await client.hello().sendRaw('NOO').expect('421 4.4.2 Timeout, closing connection', 2000).expectClosed();
  for (let i = 0; i < 50 && backend.open > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(backend.open, 0);
});

test('SmtpServer ends a session older than sessionTimeoutMs with 421 4.4.2, however busy', async (t) => {
  const { client } = await startSmtp(t, { limits: { sessionTimeoutMs: 300 } });
  await client.hello();
  const started = performance.now();
  for (let i = 0; i < 40; i++) {
    await client.send('NOOP').then(undefined, () => undefined); // the server may have closed already
    const reply = await client.readReply(2000);
    if (reply.startsWith('421')) {
      assert.equal(reply, '421 4.4.2 Timeout, closing connection');
      assert.ok(performance.now() - started < 5000);
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('no 421 within 40 commands');
});

test('SmtpServer closes a DATA transfer below minDataRate with 421 4.4.2 and stores nothing', async (t) => {
  const { client, backend } = await startSmtp(t, { limits: { commandTimeoutMs: 300, minDataRate: 1000 } });
  await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /);
  const trickle = setInterval(() => void client.sendRaw('x'), 50); // 20 B/s, well under 1000 B/s
  try {
    await client.expect('421 4.4.2 Timeout, closing connection', 3000);
  } finally {
    clearInterval(trickle);
  }
  assert.equal(backend.messages.length, 0);
});

test('SmtpServer closes the connection after 20 errors with 421 4.7.0', async (t) => {
  const { client } = await startSmtp(t);
  await client.expect(/^220 /);
  for (let i = 0; i < 20; i++) await client.send('BOGUS').expect('500 5.5.2 Command not recognized: BOGUS');
  await client.expect('421 4.7.0 Too many errors, closing connection').expectClosed();
});

test('SmtpServer answers a command line over 4,096 octets with 500 5.5.6 and keeps the connection', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().send(`MAIL FROM:<${'a'.repeat(5000)}@x.test>`).expect('500 5.5.6 Line too long').send(`NOOP ${'x'.repeat(20_000)}`).expect('500 5.5.6 Line too long');
  await client.send('NOOP').expect('250 2.0.0 OK');
});

test('SmtpServer answers NUL and 8-bit bytes in commands with 500 5.5.2 and the reason', async (t) => {
  const { client } = await startSmtp(t);
  await client.hello().sendRaw(Buffer.from('NO\0OP\r\n')).expect('500 5.5.2 Syntax error: NUL byte in command line');
  await client.sendRaw(Buffer.from('NOOP \xff\r\n', 'latin1')).expect('500 5.5.2 Syntax error: 8-bit byte in command line');
  await client.sendRaw(Buffer.from('\xffNOOP\r\n', 'latin1')).expect('500 5.5.2 Command not recognized').send('NOOP').expect(/^250 /);
});

test('SmtpServer answers a backend failure with 451 4.3.0, logs it with the connection id, and never sends its text', async (t) => {
  const logged: { obj: Record<string, unknown>; msg?: string }[] = [];
  const log = { info() {}, warn() {}, error: (obj: object, msg?: string) => void logged.push({ obj: obj as Record<string, unknown>, msg }) };
  const { client } = await startSmtp(t, { log, backendOpts: { refuseRcpt: () => new Error('connect ECONNREFUSED /run/postroom.sock') } });
  const reply = await client.hello().send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect('451 4.3.0 Internal error, try again later');
  assert.doesNotMatch(reply, /ECONNREFUSED/);
  assert.equal(logged.length, 1);
  assert.equal(typeof logged[0]!.obj['conn'], 'string');
  assert.match(String((logged[0]!.obj['err'] as Error).message), /ECONNREFUSED/);
});

test('SmtpServer replies carry an enhanced status code whose class matches the reply code', async (t) => {
  const { client } = await startSmtp(t, { limits: { maxRecipients: 1, maxMessageBytes: 50 }, backendOpts: { users: { a: 'b' } } });
  await client.hello();
  const script: string[] = ['NOOP', 'VRFY x', 'HELP', 'BOGUS', 'RCPT TO:<b@y.test>', 'MAIL FROM:<bad>', 'MAIL FROM:<a@x.test> X=1', 'MAIL FROM:<a@x.test> SIZE=99'];
  for (const line of script) await client.send(line);
  await client.send('AUTH PLAIN AGEAYw==').send('MAIL FROM:<a@x.test>').send('RCPT TO:<b@y.test>').send('RCPT TO:<c@y.test>').send('RSET');
  for (let i = 0; i < script.length + 5; i++) await client.readReply();
  await client.send('MAIL FROM:<a@x.test>').expect(/^250 /).send('RCPT TO:<b@y.test>').expect(/^250 /).send('DATA').expect(/^354 /);
  await client.sendRaw(`${'x'.repeat(60)}\r\n.\r\n`).expect(/^552 /).send('QUIT').expect(/^221 /);
  const lines = client.replies.flatMap((r) => r.split('\n'));
  const exempt = /^(220|354|334) |^250[ -](mx\.test|PIPELINING|SIZE|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|DSN|CHUNKING|AUTH)/;
  let checked = 0;
  for (const line of lines) {
    if (exempt.test(line)) continue;
    const m = /^(\d)\d\d[ -](\d)\.\d{1,3}\.\d{1,3} /.exec(line);
    assert.ok(m, `no enhanced code in ${JSON.stringify(line)}`);
    assert.equal(m[1], m[2], line);
    checked++;
  }
  assert.ok(checked >= 15, `${checked} replies checked`);
});

test('SmtpServer gives the backend a ConnInfo with addresses, service and connection id', async (t) => {
  const { client, backend, port } = await startSmtp(t, { service: 'submission', backendOpts: { users: { a: 'b' } } });
  await client.hello('me.test');
  const info = backend.sessions[0]!;
  assert.equal(info.remote, '127.0.0.1');
  assert.equal(info.local, '127.0.0.1');
  assert.equal(info.localPort, port);
  assert.ok(info.remotePort > 0);
  assert.equal(info.service, 'submission');
  assert.equal(info.tls, false);
  assert.equal(info.helo, 'me.test');
  assert.match(info.id, /^[0-9a-z]+$/);
  await client.send('AUTH PLAIN AGEAYg==').expect(/^235 /);
  assert.equal(info.user, 'a', 'the ConnInfo is live');
});

test('SmtpServer refuses a submissions service without a certificate, and bad limits, at construction', async () => {
  const { RecordingBackend } = await import('../../testing/smtp-fakes.js');
  const { SmtpServer } = await import('./server.js');
  assert.throws(() => new SmtpServer({ hostname: 'mx.test', service: 'submissions', backend: new RecordingBackend() }), /needs a TLS certificate/);
  assert.throws(() => new SmtpServer({ hostname: 'mx.test', service: 'smtp', backend: new RecordingBackend(), limits: { maxErrors: 0 } }), /maxErrors/);
  assert.throws(() => new SmtpServer({ hostname: 'bad host', service: 'smtp', backend: new RecordingBackend() }), /hostname/);
});
