/**
 * send() against the scripted peer: what goes on the wire for each set of extensions (pipelining, DSN,
 * SMTPUTF8, 8BITMIME, BINARYMIME, CHUNKING) and how refusals the real server never sends are handled.
 */
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { expectClientFailure, startSmtpPeer, type SmtpPeerOptions } from '../../testing/smtp-peer.js';
import { BDAT_CHUNK_BYTES, connect, type ClientEnvelope, type SmtpConnection } from './index.js';

const short = { connect: 2000, greeting: 2000, command: 2000, mail: 2000, rcpt: 2000, dataInit: 2000, dataBlock: 2000, dataEnd: 2000 };
const env = (over: Partial<ClientEnvelope> = {}): ClientEnvelope => ({ from: 'a@x.test', rcpts: [{ address: 'b@y.test' }], body: '7BIT', smtputf8: false, ...over });
const bytes = (...chunks: (string | Buffer)[]) => () => Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));

async function setup(t: TestContext, o: SmtpPeerOptions) {
  const peer = await startSmtpPeer(t, o);
  const conn: SmtpConnection = await connect({ host: '127.0.0.1', port: peer.port, helo: 'client.test', tls: 'none', timeouts: short });
  t.after(() => conn.destroy());
  return { peer, conn };
}

test('send pipelines MAIL, every RCPT and DATA in one write when the peer offers PIPELINING', async (t) => {
  const { peer, conn } = await setup(t, {});
  await conn.send(env({ rcpts: [{ address: 'b@y.test' }, { address: 'c@y.test' }] }), bytes('x\r\n'));
  const tx = peer.commands.filter((c) => c.verb !== 'EHLO');
  assert.deepEqual(tx.map((c) => [c.verb, c.pipelined]), [['MAIL', true], ['RCPT', true], ['RCPT', true], ['DATA', false]]);
});

test('send keeps results per recipient with multi-line replies and enhanced codes', async (t) => {
  const { conn } = await setup(t, {
    on: { RCPT: ['250 2.1.5 OK', '550-5.1.1 The mailbox\n550-5.1.1 does not\n550 5.1.1 exist', '452 4.2.2 Mailbox full'] },
  });
  const res = await conn.send(env({ rcpts: ['b', 'c', 'd'].map((n) => ({ address: `${n}@y.test` })) }), bytes('x\r\n'));
  const bad = res.rcpts[1]!;
  assert.deepEqual([bad.outcome, bad.reply.code, bad.reply.enhanced, bad.reply.text], ['permanent', 550, '5.1.1', 'The mailbox does not exist']);
  assert.deepEqual(bad.reply.lines, ['The mailbox', 'does not', 'exist']);
  assert.equal(bad.reply.raw, '550-5.1.1 The mailbox\n550-5.1.1 does not\n550 5.1.1 exist');
  assert.deepEqual(res.rcpts.map((r) => r.outcome), ['accepted', 'permanent', 'temporary']);
  assert.equal(res.rcpts[0]!.reply.code, 250);
});

test('send ends a pipelined DATA with an empty body when every RCPT failed and the peer still said 354 (RFC 2920)', async (t) => {
  const { peer, conn } = await setup(t, { on: { RCPT: '550 5.1.1 No' } });
  const res = await conn.send(env(), bytes('secret body\r\n'));
  assert.equal(res.rcpts[0]!.outcome, 'permanent');
  assert.equal(res.final, undefined);
  assert.equal(peer.messages[0]!.size, 0, 'only "." was sent');
  assert.equal(conn.usable, true);
});

test('send after a pipelined DATA refused with 554 sends RSET before the next transaction', async (t) => {
  const { peer, conn } = await setup(t, { on: { RCPT: ['550 5.1.1 No', '250 OK'], DATA: ['554 5.5.1 No valid recipients', '354 Go'] } });
  const res = await conn.send(env(), bytes('x\r\n'));
  assert.equal(res.rcpts[0]!.outcome, 'permanent');
  await conn.send(env(), bytes('x\r\n'));
  assert.deepEqual(peer.verbs().slice(1), ['MAIL', 'RCPT', 'DATA', 'RSET', 'MAIL', 'RCPT', 'DATA']);
  assert.equal(peer.messages.length, 1);
});

test('send without PIPELINING sends RSET instead of DATA when every RCPT failed', async (t) => {
  const { peer, conn } = await setup(t, { ehlo: ['8BITMIME'], on: { RCPT: '550 5.1.1 No' } });
  const res = await conn.send(env({ rcpts: [{ address: 'b@y.test' }, { address: 'c@y.test' }] }), bytes('x\r\n'));
  assert.deepEqual(res.rcpts.map((r) => r.outcome), ['permanent', 'permanent']);
  assert.deepEqual(peer.verbs().slice(1), ['MAIL', 'RCPT', 'RCPT', 'RSET']);
});

test('send throws when DATA is refused, then sends RSET first', async (t) => {
  for (const ehlo of [['PIPELINING'], []]) {
    const { peer, conn } = await setup(t, { ehlo, on: { DATA: ['451 4.3.0 Not now', '354 Go'] } });
    const err = await expectClientFailure(conn.send(env(), bytes('x\r\n')));
    assert.deepEqual([err.kind, err.stage, err.temporary, err.reply?.code], ['reply', 'data', true, 451]);
    assert.equal(conn.usable, true);
    await conn.send(env(), bytes('x\r\n'));
    assert.deepEqual(peer.verbs().slice(1), ['MAIL', 'RCPT', 'DATA', 'RSET', 'MAIL', 'RCPT', 'DATA'], ehlo.join());
  }
});

test('send reads every pipelined reply after a refused MAIL and stays in step', async (t) => {
  const { peer, conn } = await setup(t, { on: { MAIL: ['553 5.1.8 Bad sender', '250 OK'], RCPT: ['503 5.5.1 MAIL first', '250 OK'], DATA: ['503 5.5.1 RCPT first', '354 Go'] } });
  const err = await expectClientFailure(conn.send(env(), bytes('x\r\n')));
  assert.deepEqual([err.kind, err.stage, err.temporary, err.reply?.code], ['reply', 'mail', false, 553]);
  const res = await conn.send(env(), bytes('y\r\n'));
  assert.equal(res.rcpts[0]!.outcome, 'accepted');
  assert.equal(peer.messages[0]!.body!.toString(), 'y\r\n');
});

test('send passes DSN parameters only when the peer offers DSN', async (t) => {
  const e = env({ rcpts: [{ address: 'b@y.test', notify: ['NEVER'], orcpt: 'rfc822;b=1@y.test' }], ret: 'FULL', envid: 'Q 1' });
  const { peer, conn } = await setup(t, { ehlo: ['DSN'] });
  assert.equal((await conn.send(e, bytes('x\r\n'))).dsn, true);
  assert.deepEqual(peer.commands.slice(1, 3).map((c) => c.line), ['MAIL FROM:<a@x.test> RET=FULL ENVID=Q+201', 'RCPT TO:<b@y.test> NOTIFY=NEVER ORCPT=rfc822;b+3D1@y.test']);
  const other = await setup(t, { ehlo: [] });
  assert.equal((await other.conn.send(e, bytes('x\r\n'))).dsn, false);
  assert.deepEqual(other.peer.commands.slice(1, 3).map((c) => c.line), ['MAIL FROM:<a@x.test>', 'RCPT TO:<b@y.test>']);
});

test('send refuses a message that needs SMTPUTF8 before MAIL when the peer lacks it (kind smtputf8)', async (t) => {
  const { peer, conn } = await setup(t, {});
  for (const e of [env({ smtputf8: true }), env({ rcpts: [{ address: 'jörg@y.test' }] })]) {
    const err = await expectClientFailure(conn.send(e, bytes('x\r\n')));
    assert.deepEqual([err.kind, err.stage, err.temporary], ['smtputf8', 'mail', false]);
  }
  assert.deepEqual(peer.verbs(), ['EHLO']);
  const ok = await setup(t, { ehlo: ['SMTPUTF8', '8BITMIME'] });
  await ok.conn.send(env({ rcpts: [{ address: 'jörg@y.test' }] }), bytes('x\r\n'));
  assert.equal(ok.peer.commands[2]!.line, 'RCPT TO:<jörg@y.test>');
  assert.equal(ok.peer.commands[1]!.line, 'MAIL FROM:<a@x.test> SMTPUTF8');
});

test('send declares SIZE and BODY=8BITMIME when offered, and refuses over the SIZE limit without sending MAIL', async (t) => {
  const { peer, conn } = await setup(t, { ehlo: ['SIZE 100', '8BITMIME'] });
  await conn.send(env({ body: '8BITMIME', size: 4 }), bytes('\u00e9\r\n'));
  assert.equal(peer.commands[1]!.line, 'MAIL FROM:<a@x.test> SIZE=4 BODY=8BITMIME');
  const err = await expectClientFailure(conn.send(env({ size: 101 }), bytes('x')));
  assert.deepEqual([err.kind, err.temporary], ['size', false]);
  assert.equal(peer.verbs().filter((v) => v === 'MAIL').length, 1);
});

test('send converts an 8-bit body with downgradeTo7bit for a peer without 8BITMIME', async (t) => {
  const { peer, conn } = await setup(t, { ehlo: ['PIPELINING'] });
  const msg = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\u00e9\r\n';
  const res = await conn.send(env({ body: '8BITMIME', size: 100 }), bytes(msg));
  assert.equal(res.downgraded, true);
  assert.equal(peer.commands[1]!.line, 'MAIL FROM:<a@x.test>', 'no BODY=8BITMIME and no SIZE for a converted body');
  const body = peer.messages[0]!.body!;
  assert.ok(body.every((b) => b < 0x80), 'the body on the wire is 7-bit');
  assert.match(body.toString('latin1'), /Content-Transfer-Encoding: (quoted-printable|base64)/i);
});

test('send converts a BINARYMIME body for a peer with CHUNKING but without BINARYMIME', async (t) => {
  const { peer, conn } = await setup(t, { ehlo: ['CHUNKING', '8BITMIME'] });
  const msg = Buffer.concat([Buffer.from('Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n'), Buffer.from([0, 1, 0xff, 0x0a, 0x0d])]);
  const res = await conn.send(env({ body: 'BINARYMIME' }), bytes(msg));
  assert.equal(res.downgraded, true);
  assert.equal(peer.commands[1]!.line, 'MAIL FROM:<a@x.test>');
  const body = peer.messages[0]!.body!.toString('latin1');
  assert.match(body, /Content-Transfer-Encoding: base64/i);
  assert.ok(body.includes(Buffer.from([0, 1, 0xff, 0x0a, 0x0d]).toString('base64')));
});

test('send passes a BINARYMIME body unchanged with BDAT when the peer offers CHUNKING and BINARYMIME', async (t) => {
  const { peer, conn } = await setup(t, { ehlo: ['CHUNKING', 'BINARYMIME', '8BITMIME', 'PIPELINING'] });
  const binary = Buffer.from([0x00, 0xff, 0x0a, 0x2e, 0x0d, 0x41, 0x0a, 0x2e]);
  const res = await conn.send(env({ body: 'BINARYMIME' }), bytes(binary));
  assert.equal(res.downgraded, false);
  assert.equal(peer.commands[1]!.line, 'MAIL FROM:<a@x.test> BODY=BINARYMIME');
  assert.deepEqual(peer.messages[0]!.body, binary, 'no line-end normalization, no dot-stuffing, no final CRLF');
  assert.deepEqual(peer.commands.filter((c) => c.verb === 'BDAT').map((c) => c.line), ['BDAT 8 LAST']);
});

test('send sends BDAT chunks of 64 KiB, normalizes line ends and ends with LAST', async (t) => {
  const { peer, conn } = await setup(t, { ehlo: ['CHUNKING', 'PIPELINING'] });
  const line = `${'x'.repeat(99)}\n`;
  const body = line.repeat(1500); // 150,000 octets before normalization
  await conn.send(env(), bytes(body));
  const expected = body.replace(/\n/g, '\r\n');
  assert.equal(peer.messages[0]!.body!.toString(), expected);
  const bdats = peer.commands.filter((c) => c.verb === 'BDAT').map((c) => c.arg);
  assert.equal(bdats.at(-1)!.endsWith(' LAST'), true);
  assert.ok(bdats.length >= 3);
  assert.ok(bdats.slice(0, -1).every((a) => Number(a) === BDAT_CHUNK_BYTES));
});

test('send stops sending BDAT chunks after a refused one and reports it as the final reply', async (t) => {
  for (const ehlo of [['CHUNKING', 'PIPELINING'], ['CHUNKING']]) {
    const { peer, conn } = await setup(t, { ehlo, on: { BDAT: ['250 2.0.0 OK', '552 5.3.4 Too big'] } });
    const res = await conn.send(env(), bytes(Buffer.alloc(BDAT_CHUNK_BYTES * 20, 'a')));
    assert.deepEqual([res.rcpts[0]!.outcome, res.final?.code], ['permanent', 552], ehlo.join());
    const bdats = peer.commands.filter((c) => c.verb === 'BDAT');
    assert.ok(bdats.length < 20 && !bdats.some((c) => c.arg.endsWith('LAST')), ehlo.join());
    assert.equal(conn.usable, true);
    await conn.send(env(), bytes('next\r\n'));
    assert.equal(peer.verbs().at(-4), 'RSET', ehlo.join());
  }
});

test('send runs one transaction at a time', async (t) => {
  const { conn } = await setup(t, { on: { MAIL: { reply: '250 OK', delayMs: 100 } } });
  const first = conn.send(env(), bytes('x\r\n'));
  await assert.rejects(conn.send(env(), bytes('y\r\n')), /already in progress/);
  assert.equal((await first).rcpts[0]!.outcome, 'accepted');
});
