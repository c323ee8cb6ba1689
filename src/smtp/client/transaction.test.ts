/**
 * The SMTP client against our own SmtpServer (RecordingBackend): bodies arrive as sent (CRLF-normalized,
 * dot-unstuffed), over DATA and BDAT, pipelined or not; refusals come back per recipient or as errors.
 */
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { SmtpError, tempFailure, unknownUser } from '../reply.js';
import { startSmtp } from '../../testing/smtp-fakes.js';
import type { SmtpServerOptions } from '../server/index.js';
import type { RecordingOptions } from '../../testing/smtp-fakes.js';
import { connect, SmtpClientError, type ClientEnvelope, type ClientOptions } from './index.js';

const env = (over: Partial<ClientEnvelope> = {}): ClientEnvelope => ({
  from: 'a@x.test',
  rcpts: [{ address: 'b@y.test' }],
  body: '7BIT',
  smtputf8: false,
  ...over,
});
const text = (...chunks: string[]) => () => Readable.from(chunks.map((c) => Buffer.from(c, 'utf8')));
const short = { connect: 2000, greeting: 2000, command: 2000, mail: 2000, rcpt: 2000, dataInit: 2000, dataBlock: 2000, dataEnd: 5000 };

async function open(t: TestContext, server: Partial<SmtpServerOptions> & { backendOpts?: RecordingOptions } = {}, client: Partial<ClientOptions> = {}) {
  const fx = await startSmtp(t, server);
  const conn = await connect({ host: '127.0.0.1', port: fx.port, helo: 'client.test', timeouts: short, ...client });
  t.after(() => conn.destroy());
  return { port: fx.port, backend: fx.backend, conn }; // not `...fx`: its `client` getter would open a connection
}

const INPUT = ['Subject: hi\n\n.leading dot\r\n..two dots\r', '\nbare CR\rbare LF\n.', '\r\nno final line end'];
const EXPECTED = 'Subject: hi\r\n\r\n.leading dot\r\n..two dots\r\nbare CR\r\nbare LF\r\n.\r\nno final line end\r\n';

for (const [name, ignore] of [
  ['BDAT, pipelined', []],
  ['DATA, pipelined', ['CHUNKING']],
  ['DATA, not pipelined', ['CHUNKING', 'PIPELINING']],
  ['BDAT, not pipelined', ['PIPELINING']],
] as const) {
  test(`connect().send delivers the body as given, CRLF-normalized (${name})`, async (t) => {
    const { conn, backend } = await open(t, {}, { ignoreExtensions: ignore });
    const res = await conn.send(env({ rcpts: [{ address: 'b@y.test' }, { address: 'c@y.test' }] }), text(...INPUT));
    assert.deepEqual(res.rcpts.map((r) => [r.address, r.outcome, r.reply.code]), [['b@y.test', 'accepted', 250], ['c@y.test', 'accepted', 250]]);
    assert.equal(res.final?.code, 250);
    assert.equal(backend.lastBody, EXPECTED);
    assert.deepEqual(backend.messages[0]!.rcpts.map((r) => r.to), ['b@y.test', 'c@y.test']);
    assert.equal(conn.usable, true);
    await conn.quit();
    assert.equal(conn.usable, false);
  });
}

test('connect() reads the greeting name, address and extensions', async (t) => {
  const { conn, port } = await open(t);
  assert.equal(conn.peer.name, 'mx.test');
  assert.equal(conn.peer.address, '127.0.0.1');
  assert.equal(conn.peer.port, port);
  assert.equal(conn.extensions.get('PIPELINING'), '');
  assert.equal(conn.extensions.get('SIZE'), String(25 * 1024 * 1024));
  assert.equal(conn.tls.on, false);
});

test('send reports refused recipients per recipient and delivers to the others', async (t) => {
  const { conn, backend } = await open(t, { backendOpts: { refuseRcpt: (to) => (to.startsWith('bad') ? unknownUser() : to.startsWith('later') ? tempFailure() : undefined) } });
  const res = await conn.send(env({ rcpts: [{ address: 'bad@y.test' }, { address: 'b@y.test' }, { address: 'later@y.test' }] }), text('x\r\n'));
  assert.deepEqual(
    res.rcpts.map((r) => [r.address, r.outcome, r.reply.code, r.reply.enhanced]),
    [
      ['bad@y.test', 'permanent', 550, '5.1.1'],
      ['b@y.test', 'accepted', 250, '2.0.0'],
      ['later@y.test', 'temporary', 451, '4.3.0'],
    ],
  );
  assert.deepEqual(backend.messages[0]!.rcpts.map((r) => r.to), ['b@y.test']);
});

test('send with every recipient refused sends no body and leaves the connection usable', async (t) => {
  for (const ignore of [['CHUNKING'], ['CHUNKING', 'PIPELINING'], []]) {
    const { conn, backend } = await open(t, { backendOpts: { refuseRcpt: () => unknownUser() } }, { ignoreExtensions: ignore });
    const res = await conn.send(env(), text('x\r\n'));
    assert.equal(res.rcpts[0]!.outcome, 'permanent', ignore.join());
    assert.equal(res.final, undefined);
    assert.equal(backend.events.includes('data'), false);
    assert.equal(conn.usable, true);
    backend.opts.refuseRcpt = undefined; // the same connection still works for the next transaction
    const again = await conn.send(env(), text('second\r\n'));
    assert.equal(again.rcpts[0]!.outcome, 'accepted', ignore.join());
    assert.equal(backend.lastBody, 'second\r\n');
  }
});

test('send throws a reply error when MAIL is refused, then sends RSET before the next transaction', async (t) => {
  let refuse = true;
  const { conn, backend } = await open(t, { backendOpts: { refuseMail: () => (refuse ? new SmtpError(550, [7, 1], 'Sender blocked') : undefined) } });
  const err = await conn.send(env(), text('x\r\n')).catch((e: unknown) => e);
  assert.ok(err instanceof SmtpClientError);
  assert.equal(err.kind, 'reply');
  assert.equal(err.stage, 'mail');
  assert.equal(err.temporary, false);
  assert.equal(err.reply?.code, 550);
  assert.equal(conn.usable, true);
  refuse = false;
  const res = await conn.send(env(), text('x\r\n'));
  assert.equal(res.rcpts[0]!.outcome, 'accepted');
  assert.ok(backend.events.includes('reset'), 'RSET was sent');
});

test('send reports a refusal after the data as the outcome of each accepted recipient', async (t) => {
  for (const ignore of [['CHUNKING'], []]) {
    const { conn, backend } = await open(t, { backendOpts: { refuseData: (b) => (b.includes('spam') ? new SmtpError(554, [7, 1], 'Looks like spam') : undefined) } }, { ignoreExtensions: ignore });
    const res = await conn.send(env({ rcpts: [{ address: 'b@y.test' }, { address: 'c@y.test' }] }), text('spam\r\n'));
    assert.deepEqual(res.rcpts.map((r) => [r.outcome, r.reply.code]), [['permanent', 554], ['permanent', 554]]);
    assert.equal(res.final?.enhanced, '5.7.1');
    const ok = await conn.send(env(), text('ham\r\n'));
    assert.equal(ok.rcpts[0]!.outcome, 'accepted');
    assert.equal(backend.lastBody, 'ham\r\n');
  }
});

test('send refuses a message over the peer SIZE before MAIL (kind size, permanent)', async (t) => {
  const { conn, backend } = await open(t, { limits: { maxMessageBytes: 1000 } });
  const err = await conn.send(env({ size: 5000 }), text('x\r\n')).catch((e: unknown) => e);
  assert.ok(err instanceof SmtpClientError);
  assert.deepEqual([err.kind, err.stage, err.temporary], ['size', 'mail', false]);
  assert.equal(backend.events.includes('mail'), false);
  // Without a declared size, the server refuses at the end: a permanent result.
  const res = await conn.send(env({ body: '7BIT' }), text('y'.repeat(3000)));
  assert.equal(res.rcpts[0]!.outcome, 'permanent');
  assert.equal(res.final?.code, 552);
  assert.equal(conn.usable, true);
});

test('send declares SIZE, BODY=8BITMIME, SMTPUTF8 and the DSN parameters the server offers', async (t) => {
  const { conn, backend } = await open(t);
  const res = await conn.send(
    env({ from: 'usér@x.test', rcpts: [{ address: 'b@y.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;b+x@y.test' }], body: '8BITMIME', smtputf8: true, size: 12, ret: 'HDRS', envid: 'id=1' }),
    text('caf\u00e9 ok\r\n'),
  );
  assert.equal(res.dsn, true);
  assert.equal(res.downgraded, false);
  const m = backend.messages[0]!;
  assert.equal(m.from, 'usér@x.test');
  assert.deepEqual([m.mail.size, m.mail.body, m.mail.smtputf8, m.mail.ret, m.mail.envid], [12, '8BITMIME', true, 'HDRS', 'id=1']);
  assert.deepEqual(m.rcpts[0]!.opts.notify, ['SUCCESS', 'FAILURE']);
  assert.equal(m.rcpts[0]!.opts.orcpt, 'rfc822;b+x@y.test');
  assert.equal(m.body.toString('utf8'), 'caf\u00e9 ok\r\n');
});

test('send refuses an address with a line break before sending anything (kind envelope)', async (t) => {
  const { conn, backend } = await open(t);
  const err = await conn.send(env({ rcpts: [{ address: 'b@y.test>\r\nRCPT TO:<evil@y.test' }] }), text('x')).catch((e: unknown) => e);
  assert.ok(err instanceof SmtpClientError);
  assert.deepEqual([err.kind, err.temporary], ['envelope', false]);
  assert.equal(backend.events.includes('mail'), false);
  assert.equal(conn.usable, true);
});

test('send sends the same message twice on one connection and an empty body as an empty message', async (t) => {
  const { conn, backend } = await open(t);
  await conn.send(env(), text('one\r\n'));
  await conn.send(env(), text());
  assert.deepEqual(backend.messages.map((m) => m.body.toString()), ['one\r\n', '']);
});

test('send fails with kind body, before MAIL, when the body source cannot be opened', async (t) => {
  const { conn, backend } = await open(t);
  const err = await conn.send(env(), () => Promise.reject(new Error('ENOENT: no such file'))).catch((e: unknown) => e);
  assert.ok(err instanceof SmtpClientError);
  assert.deepEqual([err.kind, err.stage, err.temporary], ['body', 'data', true]);
  assert.equal((err.cause as Error).message, 'ENOENT: no such file');
  assert.equal(backend.events.includes('mail'), false);
  assert.equal(conn.usable, true);
});

test('send closes the connection when the body source fails in the middle (no partial message)', async (t) => {
  for (const ignore of [['CHUNKING'], []]) {
    const { conn, backend } = await open(t, {}, { ignoreExtensions: ignore });
    const source = () =>
      Readable.from(
        (async function* () {
          yield Buffer.from('first part\r\n'.repeat(10_000));
          throw new Error('disk read error');
        })(),
      );
    const err = await conn.send(env(), source).catch((e: unknown) => e);
    assert.ok(err instanceof SmtpClientError);
    assert.equal(err.kind, 'body');
    assert.equal(conn.usable, false);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(backend.messages.length, 0, ignore.join());
  }
});
