import test from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SmtpLines } from './app-daemon.js';
import { BOUNCE_DOMAIN, baseParams, freePort, masterCf, postfixBounceFixture, postfixMissing, renderMainCf, startPostfix, type Postfix } from './postfix.js';
import { needReady, sendMessage, smtpSinkMissing, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.js';

/** Skips (or fails under POSTROOM_REQUIRE_PEERS=1) unless Postfix and smtp-sink can run; else a temp dir and cleanup. */
function setup(t: test.TestContext): { dir: string; cleanup: (fn: () => Promise<void>) => void } | null {
  if (!needReady(t, postfixMissing()) || !needReady(t, smtpSinkMissing())) return null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'postroom-postfix-'));
  chmodSync(dir, 0o755); // Postfix's daemons (user postfix) and virtual(8) (nobody) walk through it
  const stops: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, cleanup: (fn) => void stops.push(fn) };
}

async function sinkIn(dir: string, cleanup: (fn: () => Promise<void>) => void, o: Omit<SmtpSinkOptions, 'dir'> = {}): Promise<SmtpSink> {
  mkdirSync(dir, { recursive: true });
  const s = await startSmtpSink({ dir, ...o });
  cleanup(() => s.stop());
  return s;
}

const message = (subject: string) =>
  Buffer.from(
    `From: <ann@origin.test>\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 11:50:41 +0000\r\nMessage-ID: <${subject}@origin.test>\r\n` +
      `\r\n.dot line\r\nbody\r\n`,
  );
const lf = (b: Buffer) => b.toString('latin1').replace(/\r\n/g, '\n');

test('renderMainCf, baseParams and masterCf write the configuration text', () => {
  assert.equal(renderMainCf('a test', { relayhost: '', biff: 'no' }), '# Written by a test.\nrelayhost =\nbiff = no\n');
  assert.equal(baseParams('/tmp/pf', 'mx.example.test', 'example.test')['queue_directory'], '/tmp/pf/spool');
  assert.ok(masterCf(2525, { writer: 'a test', remote: true }).includes('\n127.0.0.1:2525 inet n - n - - smtpd\n'));
  assert.doesNotMatch(masterCf(2525, { writer: 'a test' }), /^smtp unix/m, 'without remote: no SMTP client');
});

test('startPostfix delivers to Maildirs, rejects unknown users at RCPT and relays the rest to its relayhost', async (t) => {
  const s = setup(t);
  if (!s) return;
  const sink = await sinkIn(path.join(s.dir, 'sink'), s.cleanup);
  const pf: Postfix = await startPostfix({
    dir: path.join(s.dir, 'pf'),
    hostname: 'mx.postfix.test',
    relayhost: sink.target,
    virtualDomains: { 'postfix.test': ['bob', 'cy'] },
    discardEhlo: ['silent-discard', '8bitmime'],
  });
  s.cleanup(() => pf.stop());
  assert.match(pf.version, /^3\./);
  assert.match(pf.target, /^127\.0\.0\.1:\d+$/);

  await t.test('the EHLO reply leaves out discardEhlo keywords, and RCPT refuses an unknown virtual user with 550 5.1.1', async () => {
    const c = await SmtpLines.connect('127.0.0.1', pf.port, 5000);
    assert.match(await c.reply(), /^220 mx\.postfix\.test /);
    const ehlo = await c.send('EHLO c.test');
    assert.match(ehlo, /^250-DSN\r$/m);
    assert.doesNotMatch(ehlo, /8BITMIME/);
    assert.match(await c.send('MAIL FROM:<ann@origin.test>'), /^250 /);
    assert.match(await c.send('RCPT TO:<nobody@postfix.test>'), /^550 5\.1\.1 <nobody@postfix\.test>: Recipient address rejected: User unknown/);
    c.close();
  });

  await t.test('a virtual-domain recipient gets the message in its Maildir (LF, trace fields on top)', async () => {
    await sendMessage(pf.target, { from: 'ann@origin.test', to: ['bob@postfix.test'], data: message('maildir') });
    const [got] = await pf.waitForMaildir('bob@postfix.test', 1, 10_000);
    const text = got!.toString('latin1');
    assert.match(text, /^Return-Path: <ann@origin\.test>\n/);
    assert.match(text, /^Delivered-To: bob@postfix\.test$/m);
    assert.ok(text.endsWith(`)\n${lf(message('maildir'))}`), `the message follows the trace fields unchanged: ${text}`);
    assert.deepEqual(await pf.maildir('cy@postfix.test'), []);
  });

  await t.test('any other domain goes to the relayhost with the envelope and DSN parameters', async () => {
    await sendMessage(pf.target, {
      from: 'ann@origin.test',
      fromParams: 'RET=HDRS ENVID=relay-1',
      to: [{ to: 'dan@elsewhere.test', params: 'NOTIFY=FAILURE ORCPT=rfc822;dan@elsewhere.test' }],
      data: message('relay'),
    });
    const [m] = await sink.waitForMessages(1, 10_000);
    assert.equal(m!.from, 'ann@origin.test');
    assert.deepEqual(m!.fromParams, { RET: 'HDRS', ENVID: 'relay-1' });
    assert.deepEqual(m!.rcpts, [{ to: 'dan@elsewhere.test', params: { NOTIFY: 'FAILURE', ORCPT: 'rfc822;dan@elsewhere.test' } }]);
    assert.equal(m!.helo, 'mx.postfix.test');
    assert.match(m!.data.toString('latin1'), /^Received: from client\.test .*\r\n\tby mx\.postfix\.test \(Postfix\)/);
    assert.ok(m!.data.subarray(m!.data.indexOf('\r\nFrom: ') + 2).equals(message('relay')), 'the message follows Received unchanged');
    await pf.waitForEmptyQueue(5000);
    assert.deepEqual(await pf.queue(), []);
    assert.match(await pf.waitForLog(/to=<dan@elsewhere\.test>.* status=sent/), new RegExp(`relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${sink.port},`));
  });
});

test('startPostfix keeps a message queued while the relayhost is down, and flush() delivers it once it is up', async (t) => {
  const s = setup(t);
  if (!s) return;
  const port = await freePort();
  const pf = await startPostfix({ dir: path.join(s.dir, 'pf'), hostname: 'mx.postfix.test', relayhost: `127.0.0.1:${port}` });
  s.cleanup(() => pf.stop());
  await sendMessage(pf.target, { from: 'ann@origin.test', to: ['dan@elsewhere.test'], data: message('deferred') });
  await pf.waitForLog(/status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: Connection refused\)/);
  const [queued] = await pf.queue();
  assert.equal(queued?.sender, 'ann@origin.test');
  assert.equal(queued?.queueName, 'deferred');
  assert.match(queued?.recipients[0]?.delayReason ?? '', /Connection refused/);

  const sink = await sinkIn(path.join(s.dir, 'sink'), s.cleanup, { port });
  await pf.flush();
  const [m] = await sink.waitForMessages(1, 10_000);
  assert.deepEqual(m!.rcpts.map((r) => r.to), ['dan@elsewhere.test']);
  await pf.waitForEmptyQueue(5000);
});

test('postfixBounceFixture makes Postfix send its own DSN from <> to the sender through returnTo', async (t) => {
  const s = setup(t);
  if (!s) return;
  const sink = await sinkIn(path.join(s.dir, 'sink'), s.cleanup);
  const f = await postfixBounceFixture({ dir: path.join(s.dir, 'pf'), returnTo: sink.target, envid: 'env-42' });
  s.cleanup(() => f.postfix.stop());
  assert.match(f.reply, /^250 2\.0\.0 Ok: queued as [0-9A-F]+/);
  assert.equal(f.to, `nobody@${BOUNCE_DOMAIN}`);

  const [dsn] = await sink.waitForMessages(1, 10_000);
  assert.equal(dsn!.from, '', 'a DSN has the null reverse-path (RFC 3464 §2, RFC 5321 §4.5.5)');
  assert.deepEqual(dsn!.rcpts.map((r) => r.to), [f.from]);
  const text = dsn!.data.toString('utf8');
  assert.match(text, /^From: Mail Delivery System <MAILER-DAEMON@mx\.postfix\.test>\r$/m);
  assert.match(text, /^Content-Type: multipart\/report; report-type=delivery-status;/m);
  assert.match(text, /^Content-Type: message\/delivery-status\r$/m);
  assert.match(text, /^Original-Envelope-Id: env-42\r$/m);
  assert.match(text, /^Final-Recipient: rfc822; nobody@bounce\.test\r\nOriginal-Recipient: rfc822;nobody@bounce\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r$/m);
  assert.match(text, /^Content-Type: text\/rfc822-headers\r$/m, 'RET=HDRS returns the header only');
  assert.match(text, /^Message-ID: <bounce-fixture@origin\.test>\r$/m);
  assert.doesNotMatch(text, /This message cannot be delivered/);
  await f.postfix.waitForEmptyQueue(5000);
});
