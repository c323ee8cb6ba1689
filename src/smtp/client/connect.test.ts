/**
 * connect(): STARTTLS per TlsMode, implicit TLS and AUTH against our SmtpServer (test certificate), and the odd
 * greetings, EHLO refusals, failing STARTTLS and STARTTLS injection against the scripted peer.
 */
import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startSmtp, type RecordingOptions } from '../../testing/smtp-fakes.js';
import { expectClientFailure, startSmtpPeer, type SmtpPeerOptions } from '../../testing/smtp-peer.js';
import { testTls } from '../../testing/tls.js';
import type { SmtpServerOptions } from '../server/index.js';
import { connect, type ClientOptions, type SmtpConnection } from './index.js';

const short = { connect: 2000, greeting: 2000, command: 2000, mail: 2000, rcpt: 2000, dataInit: 2000, dataBlock: 2000, dataEnd: 2000 };
const env = { from: 'a@x.test', rcpts: [{ address: 'b@y.test' }], body: '7BIT', smtputf8: false } as const;
const hi = () => Readable.from([Buffer.from('Subject: hi\r\n\r\nhi\r\n')]);

async function server(t: TestContext, o: Partial<SmtpServerOptions> & { backendOpts?: RecordingOptions } = {}) {
  const fx = await startSmtp(t, o);
  return { port: fx.port, backend: fx.backend };
}

async function dial(t: TestContext, port: number, o: Partial<ClientOptions> = {}): Promise<SmtpConnection> {
  const conn = await connect({ host: '127.0.0.1', port, helo: 'client.test', timeouts: short, ...o });
  t.after(() => conn.destroy());
  return conn;
}

test('connect with opportunistic TLS uses STARTTLS without verifying, and EHLO again after it', async (t) => {
  const tls = await testTls();
  const { port, backend } = await server(t, { tls });
  const conn = await dial(t, port, { tls: 'opportunistic' });
  assert.equal(conn.tls.on, true);
  assert.equal(conn.tls.verified, false, 'self-signed, no ca given');
  assert.match(conn.tls.protocol ?? '', /^TLSv1\.[23]$/);
  assert.equal(conn.extensions.has('STARTTLS'), false, 'extensions come from the EHLO after TLS');
  await conn.send(env, hi);
  assert.equal(backend.messages[0]!.conn.tls, true);
});

test('connect with required TLS verifies the certificate against ca, and fails without it (kind tls)', async (t) => {
  const tls = await testTls();
  const { port } = await server(t, { tls });
  const conn = await dial(t, port, { tls: 'required', ca: tls.cert });
  assert.deepEqual([conn.tls.on, conn.tls.verified], [true, true]);
  const err = await expectClientFailure(dial(t, port, { tls: 'required' }));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['tls', 'tls', true]);
  const named = await dial(t, port, { tls: 'required', ca: tls.cert, servername: 'localhost' });
  assert.equal(named.tls.verified, true);
});

test('connect with required TLS fails when the peer does not offer STARTTLS; opportunistic goes on in plain text', async (t) => {
  const { port } = await server(t);
  const err = await expectClientFailure(dial(t, port, { tls: 'required' }));
  assert.deepEqual([err.kind, err.stage], ['tls', 'tls']);
  const plain = await dial(t, port, { tls: 'opportunistic' });
  assert.equal(plain.tls.on, false);
  const none = await dial(t, port, { tls: 'none' });
  assert.equal(none.tls.on, false);
});

test('connect with implicit TLS (submissions) verifies and authenticates', async (t) => {
  const tls = await testTls();
  const { port, backend } = await server(t, { tls, service: 'submissions', backendOpts: { users: { alice: 'secret' } } });
  const conn = await dial(t, port, { tls: 'implicit', ca: tls.cert, auth: { user: 'alice', pass: 'secret' } });
  assert.deepEqual([conn.tls.on, conn.tls.verified], [true, true]);
  await conn.send(env, hi);
  assert.equal(backend.messages[0]!.conn.user, 'alice');
  const err = await expectClientFailure(dial(t, port, { tls: 'implicit' }));
  assert.equal(err.kind, 'tls');
});

for (const mech of ['PLAIN', 'LOGIN'] as const) {
  test(`connect authenticates with AUTH ${mech} after STARTTLS`, async (t) => {
    const tls = await testTls();
    const { port, backend } = await server(t, { tls, service: 'submission', backendOpts: { users: { alice: 'pässword' } } });
    const conn = await dial(t, port, { tls: 'required', ca: tls.cert, auth: { user: 'alice', pass: 'pässword', mechanisms: [mech] } });
    await conn.send(env, hi);
    assert.equal(backend.messages[0]!.conn.user, 'alice');
    assert.equal(backend.events.filter((e) => e === 'auth').length, 1);
  });
}

test('connect refuses to send credentials without TLS unless authRequiresTls is false', async (t) => {
  const { port, backend } = await server(t, { backendOpts: { users: { alice: 'secret' } } });
  const err = await expectClientFailure(dial(t, port, { tls: 'none', auth: { user: 'alice', pass: 'secret' } }));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['auth', 'auth', true]);
  assert.equal(backend.events.includes('auth'), false, 'no AUTH command was sent');
  assert.doesNotMatch(err.message, /secret/);
  const conn = await dial(t, port, { tls: 'none', auth: { user: 'alice', pass: 'secret' }, authRequiresTls: false });
  assert.equal(conn.usable, true);
});

test('connect fails with a permanent auth error on wrong credentials, and when the peer offers no AUTH', async (t) => {
  const { port } = await server(t, { backendOpts: { users: { alice: 'secret' } } });
  const err = await expectClientFailure(dial(t, port, { auth: { user: 'alice', pass: 'wrong' }, authRequiresTls: false }));
  assert.deepEqual([err.kind, err.temporary, err.reply?.code, err.reply?.enhanced], ['auth', false, 535, '5.7.8']);
  assert.doesNotMatch(err.message, /wrong/);
  const plainServer = await server(t);
  const none = await expectClientFailure(dial(t, plainServer.port, { auth: { user: 'alice', pass: 'secret' }, authRequiresTls: false }));
  assert.deepEqual([none.kind, none.temporary], ['auth', true]);
});

// Odd peers (scripted).

test('connect runs the AUTH LOGIN challenges as scripted, and cancels a challenge it cannot answer', async (t) => {
  const login = await startSmtpPeer(t, { ehlo: ['AUTH LOGIN'], on: { AUTH: ['334 VXNlcm5hbWU6', '334 UGFzc3dvcmQ6', '235 2.7.0 OK'] } });
  await dial(t, login.port, { auth: { user: 'alice', pass: 'secret' }, authRequiresTls: false });
  assert.deepEqual(
    login.commands.slice(1).map((c) => [c.verb, c.line]),
    [['AUTH', 'AUTH LOGIN'], ['SASL', Buffer.from('alice').toString('base64')], ['SASL', Buffer.from('secret').toString('base64')]],
  );
  const odd = await startSmtpPeer(t, { ehlo: ['AUTH PLAIN'], on: { AUTH: ['334 ', '501 5.7.0 Cancelled'] } });
  const err = await expectClientFailure(dial(t, odd.port, { auth: { user: 'alice', pass: 'secret' }, authRequiresTls: false }));
  assert.deepEqual([err.kind, err.temporary], ['auth', true]);
  assert.deepEqual(odd.commands.at(-1)!.line, '*');
});

async function peer(t: TestContext, o: SmtpPeerOptions) {
  return startSmtpPeer(t, o);
}

test('connect fails permanently on a 554 greeting and sends QUIT; a 421 greeting is temporary', async (t) => {
  const p = await peer(t, { greeting: '554 5.3.2 No service here' });
  const err = await expectClientFailure(dial(t, p.port));
  assert.deepEqual([err.kind, err.stage, err.temporary, err.reply?.code], ['reply', 'greeting', false, 554]);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(p.verbs(), ['QUIT']);
  const busy = await peer(t, { greeting: { reply: '421 4.3.2 Busy', close: true } });
  const e2 = await expectClientFailure(dial(t, busy.port));
  assert.deepEqual([e2.kind, e2.stage, e2.temporary], ['reply', 'greeting', true]);
});

test('connect reads a multi-line greeting and falls back to HELO when EHLO gets 5xx', async (t) => {
  const p = await peer(t, { greeting: '220-old.test first line\n220 second line', on: { EHLO: '502 5.5.1 What?' } });
  const conn = await dial(t, p.port);
  assert.equal(conn.peer.name, 'old.test');
  assert.equal(conn.extensions.size, 0);
  const res = await conn.send(env, hi);
  assert.equal(res.rcpts[0]!.outcome, 'accepted');
  assert.deepEqual(p.verbs(), ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA']);
  assert.equal(p.commands.some((c) => c.pipelined), false, 'no pipelining without the extension');
  assert.equal(p.messages[0]!.body!.toString(), 'Subject: hi\r\n\r\nhi\r\n');
});

test('connect fails temporarily when EHLO gets 4xx, and permanently when HELO is refused too', async (t) => {
  const p = await peer(t, { on: { EHLO: '451 4.3.0 Later' } });
  const err = await expectClientFailure(dial(t, p.port));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['reply', 'ehlo', true]);
  const q = await peer(t, { on: { EHLO: '500 5.5.2 No', HELO: '550 5.7.1 Go away' } });
  const e2 = await expectClientFailure(dial(t, q.port));
  assert.deepEqual([e2.kind, e2.stage, e2.temporary, e2.reply?.code], ['reply', 'ehlo', false, 550]);
});

test('connect goes on in plain text when STARTTLS is refused (opportunistic), and fails when required', async (t) => {
  const tls = await testTls();
  const p = await peer(t, { tls, on: { STARTTLS: '454 4.7.0 TLS not available due to temporary reason' } });
  const conn = await dial(t, p.port, { tls: 'opportunistic' });
  assert.equal(conn.tls.on, false);
  await conn.send(env, hi);
  const err = await expectClientFailure(dial(t, p.port, { tls: 'required', ca: tls.cert }));
  assert.deepEqual([err.kind, err.stage, err.reply?.code], ['tls', 'tls', 454]);
});

test('connect fails with kind tls when the peer says 220 to STARTTLS and then closes or talks plain text', async (t) => {
  const tls = await testTls();
  const p = await peer(t, { tls, on: { STARTTLS: { reply: '220 Go ahead', close: true } } });
  const err = await expectClientFailure(dial(t, p.port, { tls: 'opportunistic' }));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['tls', 'tls', true]);
  const q = await peer(t, { tls, on: { STARTTLS: { reply: '220 Go ahead', raw: '250 not TLS at all\r\n', startTls: false } } });
  const e2 = await expectClientFailure(dial(t, q.port, { tls: 'opportunistic' }));
  assert.equal(e2.kind, 'tls');
});

test('connect discards replies injected before the TLS handshake (RFC 3207 §4.2)', async (t) => {
  const tls = await testTls();
  // The injected lines would answer the EHLO after TLS, offering AUTH and an unknown extension.
  const p = await peer(t, { tls, on: { STARTTLS: { reply: '220 Go ahead', raw: '250-evil.test\r\n250-X-INJECTED\r\n250 AUTH PLAIN\r\n' } } });
  const conn = await dial(t, p.port, { tls: 'required', ca: tls.cert });
  assert.equal(conn.tls.on, true);
  assert.equal(conn.extensions.has('X-INJECTED'), false);
  assert.equal(conn.extensions.has('AUTH'), false);
  assert.equal(conn.extensions.has('PIPELINING'), true);
  const res = await conn.send(env, hi);
  assert.equal(res.rcpts[0]!.outcome, 'accepted');
  assert.deepEqual(
    p.commands.map((c) => [c.verb, c.tls]),
    [['EHLO', false], ['STARTTLS', false], ['EHLO', true], ['MAIL', true], ['RCPT', true], ['DATA', true]],
  );
});

test('connect times out on a peer that never greets (kind timeout), and on a refused port (kind network)', async (t) => {
  const p = await peer(t, { greeting: { hang: true } });
  const started = performance.now();
  const err = await expectClientFailure(dial(t, p.port, { timeouts: { ...short, greeting: 200 } }));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['timeout', 'greeting', true]);
  assert.ok(performance.now() - started < 1500);
  const gone = await peer(t, {});
  const port = gone.port;
  await gone.close();
  const e2 = await expectClientFailure(dial(t, port));
  assert.deepEqual([e2.kind, e2.stage], ['network', 'connect']);
});

test('connect and every wait end at once when the signal aborts (kind aborted)', async (t) => {
  const p = await peer(t, { greeting: { hang: true } });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const err = await expectClientFailure(dial(t, p.port, { signal: ac.signal, timeouts: { ...short, greeting: 10_000 } }));
  assert.deepEqual([err.kind, err.stage], ['aborted', 'greeting']);
  const pre = await expectClientFailure(dial(t, p.port, { signal: AbortSignal.abort() }));
  assert.equal(pre.kind, 'aborted');
});

test('connect refuses an EHLO name with spaces or control characters', async (t) => {
  const p = await peer(t, {});
  const err = await expectClientFailure(dial(t, p.port, { helo: 'client.test\r\nMAIL FROM:<x@y>' }));
  assert.deepEqual([err.kind, err.stage, err.temporary], ['envelope', 'ehlo', false]);
  assert.equal(p.connections, 0);
});
