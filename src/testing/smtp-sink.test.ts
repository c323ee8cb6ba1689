import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SmtpLines } from './app-daemon.js';
import { alive } from './postfix.js';
import { needReady, parseArgs, parseSinkRecord, sendMessage, smtpSinkMissing, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.js';

/** Starts a sink in a fresh temp dir, stopped and removed when the test ends; null when the test was skipped. */
async function sink(t: test.TestContext, o: Omit<SmtpSinkOptions, 'dir'> = {}): Promise<SmtpSink | null> {
  if (!needReady(t, smtpSinkMissing())) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postroom-sink-'));
  const s = await startSmtpSink({ dir, ...o });
  t.after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}

async function connect(s: SmtpSink): Promise<SmtpLines> {
  const c = await SmtpLines.connect('127.0.0.1', s.port, 5000);
  assert.match(await c.reply(5000), /^220 /);
  return c;
}

const traps = Buffer.from(
  ['Subject: traps', 'Content-Type: text/plain; charset=utf-8', '', '.one dot', '..two dots', '.', '안녕하세요', 'x'.repeat(3000), '', '', ''].join('\r\n'),
  'utf8',
);

for (const [input, want] of [
  ['<a@x.test>', { path: 'a@x.test', params: {} }],
  ['<> RET=HDRS ENVID=Q+2Bx', { path: '', params: { RET: 'HDRS', ENVID: 'Q+2Bx' } }],
  ['<"a> b"@x.test> smtputf8 body=8BITMIME', { path: '"a> b"@x.test', params: { SMTPUTF8: true, BODY: '8BITMIME' } }],
  ['b@y.test NOTIFY=NEVER', { path: 'b@y.test', params: { NOTIFY: 'NEVER' } }],
] as const) {
  test(`parseArgs(${JSON.stringify(input)})`, () => assert.deepEqual(parseArgs(input), want));
}

test('parseSinkRecord reads the envelope and turns the dumped LF text back into CRLF', () => {
  const m = parseSinkRecord(
    Buffer.from(
      'X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Mail-Args: <>\n' +
        'X-Rcpt-Args: <b@y.test> NOTIFY=NEVER\nReceived: from [127.0.0.1] ([127.0.0.1])\n\tby s (smtp-sink) with ESMTP id 1;\n' +
        '\tThu, 26 Nov 2026 15:53:44 +0000 (UTC)\nSubject: x\n\nbody\n\n',
    ),
  );
  assert.equal(m.from, '');
  assert.equal(m.helo, null);
  assert.deepEqual(m.rcpts, [{ to: 'b@y.test', params: { NOTIFY: 'NEVER' } }]);
  assert.equal(m.data.toString(), 'Subject: x\r\n\r\nbody\r\n');
  assert.equal(m.lf.toString(), 'Subject: x\n\nbody\n');
  assert.throws(() => parseSinkRecord(Buffer.from('X-Client-Addr: 1\n')), /no Received header/);
});

test('SmtpSink records envelope, parameters and the exact CRLF message of each finished transaction only', async (t) => {
  const s = await sink(t);
  if (!s) return;
  assert.match(s.target, /^127\.0\.0\.1:\d+$/);
  const reply = await sendMessage(s.target, {
    helo: 'client.example.test',
    from: 'ann@x.test',
    fromParams: 'BODY=8BITMIME RET=HDRS ENVID=env-1',
    to: [{ to: 'bob@y.test', params: 'NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@y.test' }, 'cy@y.test'],
    data: traps,
  });
  assert.match(reply, /^250 2\.0\.0 /);
  // An aborted transaction (RSET after RCPT) leaves nothing behind; an empty message is recorded as empty.
  const c = await connect(s);
  assert.match(await c.send('HELO old.test'), /^250 /);
  assert.match(await c.send('MAIL FROM:<x@x.test>'), /^250 /);
  assert.match(await c.send('RCPT TO:<y@y.test>'), /^250 /);
  assert.match(await c.send('RSET'), /^250 /);
  assert.match(await c.send('MAIL FROM:<>'), /^250 /);
  assert.match(await c.send('RCPT TO:<z@y.test>'), /^250 /);
  assert.match(await c.send('DATA'), /^354 /);
  assert.match(await c.send('.'), /^250 /);
  c.close();

  const got = await s.waitForMessages(2, 5000);
  assert.equal(got.length, 2);
  assert.equal(s.count(), 2);
  const [a, b] = got as [typeof got[0], typeof got[0]];
  assert.equal(a.from, 'ann@x.test');
  assert.deepEqual(a.fromParams, { BODY: '8BITMIME', RET: 'HDRS', ENVID: 'env-1' });
  assert.deepEqual(a.rcpts, [
    { to: 'bob@y.test', params: { NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;bob@y.test' } },
    { to: 'cy@y.test', params: {} },
  ]);
  assert.equal(a.helo, 'client.example.test');
  assert.equal(a.proto, 'ESMTP');
  assert.equal(a.clientAddr, '127.0.0.1');
  assert.ok(a.data.equals(traps), `got ${JSON.stringify(a.data.toString('utf8').slice(0, 200))}`);
  assert.equal(b.from, '');
  assert.equal(b.proto, 'SMTP');
  assert.equal(b.helo, 'old.test');
  assert.deepEqual(b.rcpts.map((r) => r.to), ['z@y.test']);
  assert.equal(b.data.length, 0);
});

test('SmtpSink leaves out the EHLO keywords named in disable, and ESMTP turns EHLO away', async (t) => {
  const s = await sink(t, { hostname: 'hop.test', disable: ['8BITMIME', 'PIPELINING', 'DSN'] });
  if (!s) return;
  const c = await connect(s);
  const ehlo = await c.send('EHLO c.test');
  c.close();
  assert.match(ehlo, /^250-hop\.test\r\n/);
  assert.match(ehlo, /^250-ENHANCEDSTATUSCODES\r$/m);
  for (const gone of ['8BITMIME', 'PIPELINING', 'DSN']) assert.doesNotMatch(ehlo, new RegExp(`^250[- ]${gone}`, 'm'), gone);

  const plain = await sink(t, { disable: ['ESMTP'] });
  const p = await connect(plain!);
  assert.match(await p.send('EHLO c.test'), /^500 /);
  assert.match(await p.send('HELO c.test'), /^250 /);
  p.close();
});

test('SmtpSink rejects the named commands hard or soft, with the replies given', async (t) => {
  const hard = await sink(t, { hardReject: ['RCPT'], hardReply: '550 5.1.1 No such user' });
  if (!hard) return;
  const soft = await sink(t, { softReject: ['MAIL'] });
  const c = await connect(hard);
  await c.send('EHLO c.test');
  assert.match(await c.send('MAIL FROM:<a@x.test>'), /^250 /);
  assert.equal(await c.send('RCPT TO:<b@y.test>'), '550 5.1.1 No such user\r\n');
  c.close();
  await assert.rejects(sendMessage(soft!.target, { from: 'a@x.test', to: ['b@y.test'], data: traps }), /MAIL .*450 4\.3\.0 Error: command failed/);
  assert.equal(soft!.count(), 0);
});

test('SmtpSink closes with 421 or drops the connection after the named command', async (t) => {
  const q = await sink(t, { close421: ['DATA'], disconnect: ['RCPT'] });
  if (!q) return;
  const c = await connect(q);
  await c.send('EHLO c.test');
  await c.send('MAIL FROM:<a@x.test>');
  await assert.rejects(c.send('RCPT TO:<b@y.test>', 5000), /connection closed/);
  const d = await connect(q);
  assert.match(await d.send('DATA'), /^421 /);
  d.close();
});

test('SmtpSink records a message it then rejects at the final dot (QUIRK in the module header)', async (t) => {
  const s = await sink(t, { hardReject: ['.'] });
  if (!s) return;
  await assert.rejects(sendMessage(s.target, { from: 'a@x.test', to: ['b@y.test'], data: traps }), /end of DATA .*500 5\.3\.0/);
  assert.equal((await s.waitForMessages(1, 5000))[0]!.rcpts[0]!.to, 'b@y.test');
});

test('SmtpSink.stop ends the process and can be called twice', async (t) => {
  const s = await sink(t);
  if (!s) return;
  assert.ok(alive(s.pid));
  await s.stop();
  await s.stop();
  assert.ok(!alive(s.pid));
  await assert.rejects(SmtpLines.connect('127.0.0.1', s.port, 2000));
});

test('SmtpSink delays the named commands, and abortAfterData answers 550 after the 354 and hangs up', async (t) => {
  const s = await sink(t, { delays: { MAIL: 1 }, abortAfterData: 0 });
  if (!s) return;
  const c = await connect(s);
  await c.send('EHLO c.test');
  const t0 = Date.now();
  assert.match(await c.send('MAIL FROM:<a@x.test>'), /^250 /);
  assert.ok(Date.now() - t0 >= 900, `MAIL took ${Date.now() - t0} ms`);
  assert.match(await c.send('RCPT TO:<b@y.test>'), /^250 /);
  assert.match(await c.send('DATA'), /^354 /);
  assert.match(await c.reply(5000), /^550 /);
  await assert.rejects(c.reply(5000), /connection closed/);
  assert.equal(s.count(), 0);
});
