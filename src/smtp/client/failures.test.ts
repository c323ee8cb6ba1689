/**
 * send() and quit() when the peer misbehaves: hangs (each stage's timeout), slow replies, a dropped connection,
 * 421 in mid-session, unparsable or oversized replies, and the abort signal. Every case ends within its short
 * timeout, and a connection that failed is not usable.
 */
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { expectClientFailure, startSmtpPeer, type SmtpPeerOptions } from '../../testing/smtp-peer.js';
import { connect, type ClientEnvelope, type ClientOptions, type ClientTimeouts } from './index.js';

const short: ClientTimeouts = { connect: 1000, greeting: 1000, command: 1000, mail: 1000, rcpt: 1000, dataInit: 1000, dataBlock: 1000, dataEnd: 1000 };
const env: ClientEnvelope = { from: 'a@x.test', rcpts: [{ address: 'b@y.test' }, { address: 'c@y.test' }], body: '7BIT', smtputf8: false };
const hi = () => Readable.from([Buffer.from('hi\r\n')]);

async function setup(t: TestContext, o: SmtpPeerOptions, c: Partial<ClientOptions> = {}) {
  const peer = await startSmtpPeer(t, o);
  const conn = await connect({ host: '127.0.0.1', port: peer.port, helo: 'client.test', tls: 'none', timeouts: short, ...c });
  t.after(() => conn.destroy());
  return { peer, conn };
}

for (const [verb, stage, timeout] of [
  ['MAIL', 'mail', 'mail'],
  ['RCPT', 'rcpt', 'rcpt'],
  ['DATA', 'data', 'dataInit'],
  ['END', 'data', 'dataEnd'],
] as const) {
  for (const pipelining of [true, false]) {
    test(`send times out when the peer never answers ${verb} (${pipelining ? '' : 'not '}pipelined, timeout ${timeout})`, async (t) => {
      const { conn } = await setup(t, { ehlo: pipelining ? ['PIPELINING'] : [], on: { [verb]: { hang: true } } }, { timeouts: { ...short, [timeout]: 150 } });
      const started = performance.now();
      const err = await expectClientFailure(conn.send(env, hi));
      assert.deepEqual([err.kind, err.stage, err.temporary], ['timeout', stage, true]);
      assert.ok(performance.now() - started < 900, 'the stage timeout, not another, ended the wait');
      assert.equal(conn.usable, false);
      await expectClientFailure(conn.send(env, hi)); // and it stays unusable
    });
  }
}

test('send times out (dataBlock) when the peer stops reading the body', async (t) => {
  const { conn } = await setup(t, { on: { DATA: { reply: '354 Go', hang: true } } }, { timeouts: { ...short, dataBlock: 200 } });
  const chunk = Buffer.alloc(64 * 1024, 'x\r\n');
  const endless = () => new Readable({ read() { this.push(Buffer.from(chunk)); } });
  const err = await expectClientFailure(conn.send(env, endless));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['timeout', 'data', true]);
  assert.equal(conn.usable, false);
});

test('send waits for slow replies within their timeouts', async (t) => {
  const slow = (reply: string) => ({ reply, delayMs: 150 });
  const { conn } = await setup(t, { on: { MAIL: slow('250 OK'), RCPT: slow('250 OK'), DATA: slow('354 Go'), END: slow('250 Queued') } }, { timeouts: { ...short, mail: 400, rcpt: 400 } });
  const res = await conn.send(env, hi);
  assert.deepEqual(res.rcpts.map((r) => r.outcome), ['accepted', 'accepted']);
});

test('send fails with kind network when the peer drops the connection after the data', async (t) => {
  const { conn } = await setup(t, { on: { END: { close: true } } });
  const err = await expectClientFailure(conn.send(env, hi));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['network', 'data', true]);
  assert.equal(conn.usable, false);
});

test('send fails with kind network when the peer drops the connection at DATA', async (t) => {
  const { conn } = await setup(t, { ehlo: [], on: { DATA: { close: true } } });
  const err = await expectClientFailure(conn.send(env, hi));
  assert.deepEqual([err.kind, err.stage], ['network', 'data']);
});

test('send treats 421 at any point as a temporary failure and closes the connection', async (t) => {
  for (const on of [{ MAIL: '421 4.3.2 Shutting down' }, { RCPT: ['250 OK', { reply: '421 4.4.2 Timeout', close: true }] }, { END: '421 4.3.0 Bye' }] as SmtpPeerOptions['on'][]) {
    const { conn } = await setup(t, { on });
    const err = await expectClientFailure(conn.send(env, hi));
    assert.deepEqual([err.kind, err.temporary, err.reply?.code], ['reply', true, 421], JSON.stringify(on));
    assert.equal(conn.usable, false);
  }
});

test('send fails with kind protocol on a reply that is not an SMTP reply', async (t) => {
  for (const bad of ['hello there', '250-first\n251 second', '999 what']) {
    const { conn } = await setup(t, { on: { MAIL: bad } });
    const err = await expectClientFailure(conn.send(env, hi));
    assert.deepEqual([err.kind, err.stage, err.temporary], ['protocol', 'mail', true], bad);
    assert.equal(conn.usable, false);
  }
});

test('send fails with kind protocol on a reply line over 2,048 octets or a reply over 100 lines', async (t) => {
  const long = await setup(t, { on: { MAIL: `250 ${'x'.repeat(3000)}` } });
  const e1 = await expectClientFailure(long.conn.send(env, hi));
  assert.deepEqual([e1.kind, e1.stage], ['protocol', 'mail']);
  const many = await setup(t, { on: { RCPT: `${'250-ok\n'.repeat(150)}250 ok` } });
  const e2 = await expectClientFailure(many.conn.send(env, hi));
  assert.deepEqual([e2.kind, e2.stage], ['protocol', 'rcpt']);
  assert.match(e2.message, /100 lines/);
});

test('connect accepts a 100-line EHLO reply and a 2,046-octet reply line', async (t) => {
  const ehlo = Array.from({ length: 98 }, (_, i) => `X-EXT${i}`).concat(['PIPELINING']);
  const { conn } = await setup(t, { ehlo, on: { MAIL: `250 ${'y'.repeat(2042)}` } });
  assert.equal(conn.extensions.size, 99);
  const res = await conn.send(env, hi);
  assert.equal(res.rcpts[0]!.outcome, 'accepted');
});

test('send ends at once when the signal aborts, and destroys the connection', async (t) => {
  const ac = new AbortController();
  const { conn } = await setup(t, { on: { RCPT: { hang: true } } }, { signal: ac.signal, timeouts: { ...short, rcpt: 10_000 } });
  setTimeout(() => ac.abort(new Error('lease lost')), 100);
  const started = performance.now();
  const err = await expectClientFailure(conn.send(env, hi));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['aborted', 'rcpt', true]);
  assert.ok(performance.now() - started < 1000);
  assert.equal(conn.usable, false);
});

test('quit sends QUIT and closes; against a hung peer it ends within the command timeout and never throws', async (t) => {
  const { peer, conn } = await setup(t, {});
  await conn.quit();
  assert.deepEqual(peer.verbs(), ['EHLO', 'QUIT']);
  assert.equal(conn.usable, false);
  await conn.quit(); // twice is harmless
  const hung = await setup(t, { on: { QUIT: { hang: true } } }, { timeouts: { ...short, command: 150 } });
  const started = performance.now();
  await hung.conn.quit();
  assert.ok(performance.now() - started < 900);
});

test('destroy closes at once, and send then fails with kind network', async (t) => {
  const { conn } = await setup(t, {});
  conn.destroy();
  assert.equal(conn.usable, false);
  const err = await expectClientFailure(conn.send(env, hi));
  assert.equal(err.kind, 'network');
});
