/**
 * Interop (issue 5 §4): postroom relays to and from Postfix, and to Postfix's smtp-sink. One private Postfix
 * (virtual domain example.net delivered to Maildir, relayhost = postroom), two smtp-sinks (one as it comes, one
 * without 8BITMIME) and one `postroom start` (example.test, static routes to all three) serve every case:
 * - postroom → Postfix: the message lands in Postfix's Maildir with its header and body intact;
 * - Postfix → postroom: Postfix relays to postroom, which delivers into the local user's mailbox;
 * - postroom → smtp-sink: 50 messages with three recipients each arrive with their envelopes: RET, ENVID, and
 *   NOTIFY/ORCPT per recipient (smtp-sink offers DSN, so they are passed on);
 * - postroom → smtp-sink without 8BITMIME: an 8-bit message arrives as 7-bit MIME (quoted-printable) that decodes
 *   to the same text (Python's email package decodes it).
 * One case guards a bug of the queue runner this test found (fixed): a retry that came due during another delivery
 * waited for the next queue poll.
 * Peers: Postfix and smtp-sink (need root: CI runs as root), python3. Missing, the test skips, or fails under
 * POSTROOM_REQUIRE_PEERS=1.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { hasCommand, needPeer } from '../../src/testing/peers.js';
import { freePort, postfixMissing, startPostfix } from '../../src/testing/postfix.js';
import { needReady, sendMessage, smtpSinkMissing, startSmtpSink, type SendRcpt } from '../../src/testing/smtp-sink.js';
import { queueList, splitTrace, startRelayDaemon, workDir, waitForMailboxMessages, waitForQueue } from '../../src/testing/relay-daemons.js';
import { runCli } from '../../src/testing/app-cli.js';
import { NO_SMTP_PORT } from '../../src/testing/app-daemon.js';

/** A short message with a dot line and a folded field, CRLF line ends. */
function message(subject: string, to: string, extra: readonly string[] = [], body: readonly string[] = ['Hello.', '.a line that starts with a dot', 'The end.']): Buffer {
  return Buffer.from(
    [
      'From: <ann@example.test>',
      `To: <${to}>`,
      `Subject: ${subject}`,
      'Date: Thu, 26 Nov 2026 11:50:41 +0000',
      `Message-ID: <${subject.replace(/\W+/g, '-')}@relay.test>`,
      'X-Folded: first part',
      '\tsecond part',
      ...extra,
      '',
      ...body,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** CRLF → LF: how Postfix's virtual(8) stores a message. */
const lf = (b: Buffer): string => b.toString('utf8').replace(/\r\n/g, '\n');

test('postroom relays to and from Postfix and to smtp-sink', { timeout: 60_000 }, async (t) => {
  if (!needReady(t, postfixMissing()) || !needReady(t, smtpSinkMissing())) return;
  const work = workDir(t, 'postroom-relay-pf-');
  const dir = work.dir;
  const sink = await startSmtpSink({ dir: path.join(dir, 'sink') });
  work.after(() => sink.stop());
  const sink7 = await startSmtpSink({ dir: path.join(dir, 'sink7'), disable: ['8BITMIME'] });
  work.after(() => sink7.stop());
  const slow = await startSmtpSink({ dir: path.join(dir, 'slow'), delays: { CONNECT: 3 } }); // greets after 3 s
  work.after(() => slow.stop());
  // Postfix relays to postroom and postroom has a route to Postfix: postroom's port is chosen first.
  const port = await freePort();
  const pf = await startPostfix({ dir: path.join(dir, 'postfix'), hostname: 'mx.postfix.test', relayhost: `127.0.0.1:${port}`, virtualDomains: { 'example.net': ['bob'] } });
  work.after(() => pf.stop());
  const p = await startRelayDaemon(work, {
    dir, name: 'postroom', hostname: 'mx.example.test', domains: ['example.test'], smtpPort: port, users: ['ann@example.test'],
    queue: { min_backoff: '1s', max_backoff: '2s' },
    routes: {
      'example.net': { port: pf.port, tls: 'opportunistic' },
      'sink.test': { port: sink.port, tls: 'none' },
      'sink7.test': { port: sink7.port, tls: 'none' },
      'slow.test': { port: slow.port, tls: 'none' },
      'down.test': { port: NO_SMTP_PORT, tls: 'none' },
    },
  });
  const postroom = `127.0.0.1:${p.smtp.port}`;

  await t.test('postroom → Postfix: the message arrives in the Maildir with header and body intact', async () => {
    const sent = message('to postfix', 'bob@example.net');
    await sendMessage(postroom, { from: 'ann@example.test', to: ['bob@example.net'], data: sent });
    const [stored] = await pf.waitForMaildir('bob@example.net', 1, 15_000);
    const { trace, rest } = splitTrace(stored!);
    assert.equal(rest.toString('utf8'), lf(sent));
    assert.ok(trace.some((f) => /^Received: from mx\.example\.test \(\S+ \[127\.0\.0\.1\]\)\n\tby mx\.postfix\.test \(Postfix\) with ESMTP/.test(f)), trace.join(''));
    assert.ok(trace.some((f) => /^Received: from client\.test \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\n\tby mx\.example\.test with ESMTP id /.test(f)), trace.join(''));
  });

  await t.test('Postfix → postroom: Postfix relays to postroom, which delivers into the local mailbox', async () => {
    const sent = message('from postfix', 'ann@example.test');
    await sendMessage(pf.target, { from: 'bob@example.net', to: ['ann@example.test'], data: sent });
    const [stored] = await waitForMailboxMessages(p.dataDir, 'ann@example.test', 1);
    const { trace, rest } = splitTrace(stored!);
    assert.equal(rest.toString('utf8'), sent.toString('utf8'));
    assert.deepEqual(trace.slice(0, 2), ['Return-Path: <bob@example.net>\r\n', 'Delivered-To: ann@example.test\r\n']);
    assert.match(trace[2]!, /^Received: from mx\.postfix\.test \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with ESMTPS? id /);
    assert.match(trace[3]!, /by mx\.postfix\.test \(Postfix\) with ESMTP id /);
  });

  await t.test('postroom → smtp-sink: 50 messages with 3 recipients each arrive with RET, ENVID, NOTIFY and ORCPT as sent', async () => {
    const N = 50;
    const sent = new Map<string, Buffer>();
    for (let i = 0; i < N; i++) {
      const data = message(`sink ${i}`, `a${i}@sink.test`);
      sent.set(`env-${i}`, data);
      const to: SendRcpt[] = [
        // ORCPT's xtext (RFC 3461 §4): "+" is written +2B, and must arrive as written.
        { to: `a${i}@sink.test`, params: `NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;list+2Btag${i}@example.test` },
        { to: `b${i}@sink.test`, params: 'NOTIFY=NEVER' },
        `c${i}@sink.test`,
      ];
      await sendMessage(postroom, { from: 'ann@example.test', fromParams: `RET=${i % 2 ? 'FULL' : 'HDRS'} ENVID=env-${i}`, to, data });
    }
    const got = await sink.waitForMessages(N, 30_000);
    assert.equal(got.length, N);
    const byEnvid = new Map(got.map((m) => [String(m.fromParams['ENVID']), m]));
    assert.equal(byEnvid.size, N, 'one transaction per message');
    for (let i = 0; i < N; i++) {
      const m = byEnvid.get(`env-${i}`);
      assert.ok(m, `env-${i} arrived`);
      assert.equal(m.from, 'ann@example.test');
      assert.equal(m.fromParams['RET'], i % 2 ? 'FULL' : 'HDRS');
      assert.deepEqual(
        m.rcpts.map((r) => [r.to, r.params['NOTIFY'], r.params['ORCPT']]),
        [
          [`a${i}@sink.test`, 'SUCCESS,FAILURE', `rfc822;list+2Btag${i}@example.test`],
          [`b${i}@sink.test`, 'NEVER', undefined],
          [`c${i}@sink.test`, undefined, undefined],
        ],
      );
      const { trace, rest } = splitTrace(m.data);
      assert.equal(rest.toString('utf8'), sent.get(`env-${i}`)!.toString('utf8'));
      assert.equal(trace.length, 1);
      assert.match(trace[0]!, /^Received: from client\.test \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with ESMTP id \S+; /, 'no "for" clause with several recipients');
    }
    await waitForQueue(p.dataDir, (items) => (items.length === 0 ? true : undefined));
  });

  await t.test('postroom → smtp-sink without 8BITMIME: an 8-bit message arrives as quoted-printable that decodes to the same text', async (t) => {
    if (!needPeer(t, 'python3', hasCommand('python3'))) return;
    const text = 'Grüße aus Köln — 안녕하세요\r\nZeile zwei: äöü ß\r\n';
    const sent = message('eight bit', 'x@sink7.test', ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'], text.split('\r\n').slice(0, -1));
    await sendMessage(postroom, { from: 'ann@example.test', fromParams: 'BODY=8BITMIME', to: ['x@sink7.test'], data: sent });
    const [m] = await sink7.waitForMessages(1, 15_000);
    assert.notEqual(m!.fromParams['BODY'], '8BITMIME', 'BODY=8BITMIME is not sent to a host that does not offer it');
    assert.ok(m!.data.every((byte) => byte < 0x80), 'only 7-bit octets arrive');
    const { rest } = splitTrace(m!.data);
    const raw = rest.toString('latin1');
    assert.match(raw, /^Content-Transfer-Encoding: quoted-printable\r$/m);
    assert.doesNotMatch(raw, /^Content-Transfer-Encoding: 8bit/im);
    assert.match(raw, /^Subject: eight bit\r$/m);
    const decoded = execFileSync(
      'python3',
      ['-c', 'import sys, email\nfrom email import policy\nm = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)\nsys.stdout.buffer.write(m.get_content().encode("utf-8"))'],
      { input: rest, timeout: 20_000 },
    );
    assert.equal(decoded.toString('utf8'), text);
  });

  // Regression: the runner once dropped the retry times that came due during a pass and slept for pollMs (60 s).
  await t.test('a retry that comes due while another delivery is in progress is made then, not at the next queue poll', async () => {
    await sendMessage(postroom, { from: 'ann@example.test', to: ['x@down.test'], data: message('down', 'x@down.test') });
    await sendMessage(postroom, { from: 'ann@example.test', to: ['y@slow.test'], data: message('slow', 'y@slow.test') });
    // About 3 s: the down recipient's retry came due meanwhile (min_backoff 1 s).
    await slow.waitForMessages(1, 10_000);
    const attempts = () => queueList(p.dataDir).then((items) => items.find((i) => i.rcpts[0]?.address === 'x@down.test')?.rcpts[0]?.attempts ?? 0);
    try {
      await waitForQueue(p.dataDir, (items) => ((items.find((i) => i.rcpts[0]?.address === 'x@down.test')?.rcpts[0]?.attempts ?? 0) >= 2 ? true : undefined), 4_000);
    } catch {
      assert.fail(`x@down.test was tried ${await attempts()} time(s) in the 4 s after the slow delivery, though its backoff is 1 s`);
    } finally {
      for (const item of await queueList(p.dataDir)) await runCli(['queue', 'delete', item.id, '--data-dir', p.dataDir]);
    }
  });

  await waitForQueue(p.dataDir, (items) => (items.length === 0 ? true : undefined));
  assert.equal(await p.stop(), 0);
});
