/**
 * Interop (issue 5 §4): postroom relays to postroom. Two `postroom start` children, A for example.test and B for
 * example.net, each with a static route for the other's domain to the other's SMTP port (`[127.0.0.1]:PORT`, so
 * no DNS): mail submitted to one arrives in a mailbox of the other byte for byte after the trace fields, over
 * STARTTLS (A → B verified against B's generated certificate, B → A opportunistic). Store and forward: while the
 * next hop is down the message waits in A's queue (`postroom queue list --json` shows why), and goes out by itself
 * once B is up (retries after `queue.min_backoff`), or at once after `postroom queue flush` when the backoff is long.
 * Two cases guard bugs this test found (fixed): the relay's connection cache ignored a route's trusted CAs, and a
 * route to an IP address sent that address as TLS SNI.
 *
 * Peers: none besides postroom itself (nodemailer, a devDependency, submits with STARTTLS + AUTH).
 */
import test, { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { runCli } from '../../src/testing/app-cli.js';
import { freePort } from '../../src/testing/postfix.js';
import { sendMessage } from '../../src/testing/smtp-sink.js';
import {
  RELAY_PASSWORD,
  queueList,
  splitTrace,
  startRelayDaemon,
  waitForMailboxMessages,
  waitForQueue,
  mailboxMessages,
  workDir,
  type RelayDaemon,
} from '../../src/testing/relay-daemons.js';

/** Short retries: a deferred recipient is tried again within about two seconds. */
const FAST = { min_backoff: '1s', max_backoff: '2s' };

/** Two distinct free loopback ports. */
async function twoPorts(): Promise<[number, number]> {
  const a = await freePort();
  for (;;) {
    const b = await freePort();
    if (b !== a) return [a, b];
  }
}

/** A message with the traps of a relay: a dot line, 8-bit UTF-8, a long line, a folded header field. */
function message(from: string, to: string, subject: string): Buffer {
  return Buffer.from(
    [
      `From: <${from}>`,
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Date: Thu, 26 Nov 2026 11:50:41 +0000`,
      `Message-ID: <${subject.replace(/\W+/g, '-')}@relay.test>`,
      `X-Folded: first part`,
      `\tsecond part`,
      `MIME-Version: 1.0`,
      `Content-Type: text/plain; charset=utf-8`,
      `Content-Transfer-Encoding: 8bit`,
      ``,
      `Hello across the relay.`,
      `.a line that starts with a dot`,
      `..and one with two`,
      `Grüße aus Köln, 안녕하세요`,
      'x'.repeat(900),
      ``,
    ].join('\r\n'),
    'utf8',
  );
}

describe('postroom A (example.test) and B (example.net, example.org) relay to each other', { timeout: 60_000 }, () => {
  // The helpers' clean-ups (the children, then the directory) run when the suite ends.
  const work = workDir({ after }, 'postroom-relay-');
  let a: RelayDaemon;
  let b: RelayDaemon;
  before(async () => {
    const dir = work.dir;
    const [portA, portB] = await twoPorts();
    // B first: it generates its certificate, which A's route for example.net trusts (tls = "required").
    b = await startRelayDaemon(work, {
      dir, name: 'b', hostname: 'mx.example.net', domains: ['example.net', 'example.org'], smtpPort: portB, queue: FAST,
      routes: { 'example.test': { port: portA, tls: 'opportunistic' } },
      users: ['bob@example.net', 'bob@example.org'],
      submission: true,
    });
    a = await startRelayDaemon(work, {
      dir, name: 'a', hostname: 'mx.example.test', domains: ['example.test'], smtpPort: portA, submission: true, queue: FAST,
      routes: {
        'example.net': { port: portB, tls: 'required', caFile: b.certFile },
        // The same host, but nothing says to trust its self-signed certificate: verification must refuse it.
        'example.org': { port: portB, tls: 'required' },
      },
      users: ['ann@example.test'],
    });
  });

  /**
   * Submits to A on its MX port for bob@example.org and waits until its first attempt is over: the recipient's
   * last reply while it waits in the queue, or null when it left the queue (delivered).
   */
  async function unverified(subject: string): Promise<{ id: string; lastReply: string } | null> {
    await sendMessage(`127.0.0.1:${a.smtp.port}`, { from: 'ann@example.test', to: ['bob@example.org'], data: message('ann@example.test', 'bob@example.org', subject) });
    return waitForQueue(a.dataDir, (items) => {
      const r = items.find((i) => i.rcpts.some((x) => x.address === 'bob@example.org'));
      if (!r) return null;
      return r.rcpts[0]!.state === 'deferred' ? { id: r.id, lastReply: r.rcpts[0]!.lastReply ?? '' } : undefined;
    });
  }

  it('A → B with tls = "required" and no trusted certificate: the message waits in the queue with a TLS error', async () => {
    const got = await unverified('unverified');
    assert.ok(got, 'the message is still queued');
    const { id, lastReply } = got;
    assert.match(lastReply, /^451 4\.7\.5 \[127\.0\.0\.1\]:\d+: TLS handshake failed: DEPTH_ZERO_SELF_SIGNED_CERT$/);
    assert.deepEqual(await mailboxMessages(b.dataDir, 'bob@example.org'), [], 'nothing was sent without verified TLS');
    assert.equal((await runCli(['queue', 'delete', id, '--data-dir', a.dataDir])).code, 0);
  });

  it('A → B: submitted to A with STARTTLS + AUTH, stored in B byte for byte after Received lines from A and B (verified STARTTLS)', async () => {
    const sent = message('ann@example.test', 'bob@example.net', 'A to B');
    const transport = nodemailer.createTransport({
      host: a.submission!.host, port: a.submission!.port, secure: false, requireTLS: true, name: 'client.example.test',
      auth: { user: 'ann@example.test', pass: RELAY_PASSWORD }, tls: { rejectUnauthorized: false },
    });
    try {
      await transport.sendMail({ envelope: { from: 'ann@example.test', to: ['bob@example.net'] }, raw: sent });
    } finally {
      transport.close();
    }
    const [got] = await waitForMailboxMessages(b.dataDir, 'bob@example.net', 1);
    const { trace, rest } = splitTrace(got!);
    assert.equal(rest.toString('utf8'), sent.toString('utf8'), 'the original header and body arrive unchanged');
    assert.equal(trace.length, 4, trace.join(''));
    assert.equal(trace[0], 'Return-Path: <ann@example.test>\r\n');
    assert.equal(trace[1], 'Delivered-To: bob@example.net\r\n');
    // B received it from A over TLS (ESMTPS); A received it from the client over TLS with AUTH (ESMTPSA).
    assert.match(trace[2]!, /^Received: from mx\.example\.test \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.net with ESMTPS id /);
    assert.match(trace[3]!, /^Received: from client\.example\.test \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with ESMTPSA id /);
    assert.match(trace[3]!, /for <bob@example\.net>;/);
  });

  it('C → smarthost B: all mail for other domains goes to B\'s submission port with verified STARTTLS and AUTH', async () => {
    const c = await startRelayDaemon(work, {
      dir: work.dir, name: 'c', hostname: 'mx.example.com', domains: ['example.com'], queue: FAST,
      smarthost: { port: b.submission!.port, tls: 'required', caFile: b.certFile, user: 'bob@example.net' },
    });
    const sent = message('bob@example.net', 'bob@example.net', 'C via smarthost B');
    const before = (await mailboxMessages(b.dataDir, 'bob@example.net')).length;
    await sendMessage(`127.0.0.1:${c.smtp.port}`, { from: 'bob@example.net', to: ['bob@example.net'], data: sent, helo: 'laptop.example.com' });
    const got = await waitForMailboxMessages(b.dataDir, 'bob@example.net', before + 1);
    const mine = got.find((m) => m.includes('Subject: C via smarthost B'));
    assert.ok(mine, 'arrived at B');
    const { trace, rest } = splitTrace(mine);
    assert.equal(rest.toString('utf8'), sent.toString('utf8'));
    // B took it from C over TLS with AUTH (ESMTPSA): the submission port's policy, applied to a smarthost client.
    assert.match(trace[2]!, /^Received: from mx\.example\.com \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.net with ESMTPSA id /);
    assert.equal(await c.stop(), 0);
  });

  it('B → A: submitted to B on its MX port from a trusted network, stored in A byte for byte after Received lines from B and A (opportunistic STARTTLS)', async () => {
    const sent = message('bob@example.net', 'ann@example.test', 'B to A');
    await sendMessage(`127.0.0.1:${b.smtp.port}`, { from: 'bob@example.net', fromParams: 'BODY=8BITMIME', to: ['ann@example.test'], data: sent, helo: 'client.example.net' });
    const [got] = await waitForMailboxMessages(a.dataDir, 'ann@example.test', 1);
    const { trace, rest } = splitTrace(got!);
    assert.equal(rest.toString('utf8'), sent.toString('utf8'));
    assert.deepEqual(trace.slice(0, 2), ['Return-Path: <bob@example.net>\r\n', 'Delivered-To: ann@example.test\r\n']);
    assert.match(trace[2]!, /^Received: from mx\.example\.net \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test with ESMTPS id /, 'opportunistic TLS was used');
    assert.match(trace[3]!, /^Received: from client\.example\.net \(127\.0\.0\.1 \[127\.0\.0\.1\]\)\r\n\tby mx\.example\.net with ESMTP id /);
    assert.equal(trace.length, 4);
  });

  // Regression: the connection cache once keyed idle connections without the trusted CAs, so a connection verified
  // with example.net's ca_file was reused for example.org, whose route trusts no extra CA.
  it('A does not reuse a connection verified with one route\'s ca_file for a route that does not trust that certificate', async () => {
    await sendMessage(`127.0.0.1:${a.smtp.port}`, { from: 'ann@example.test', to: ['bob@example.net'], data: message('ann@example.test', 'bob@example.net', 'warm the cache') });
    await waitForMailboxMessages(b.dataDir, 'bob@example.net', 2);
    const deferred = await unverified('after a verified connection');
    if (deferred) assert.equal((await runCli(['queue', 'delete', deferred.id, '--data-dir', a.dataDir])).code, 0);
    const got = await mailboxMessages(b.dataDir, 'bob@example.org');
    assert.deepEqual(got.map((m) => /^Subject: (.*)$/m.exec(m.toString())?.[1]), [], 'bob@example.org got mail over a connection its route does not trust');
    assert.match(deferred?.lastReply ?? '', /^451 4\.7\.5 /);
  });

  // Regression: a route to an IP literal once sent the address as SNI, which RFC 6066 §3 forbids (Node printed
  // DEP0123 on standard error, among the JSON log lines).
  it('both stop with exit code 0 and log JSON lines only (no TLS SNI warning for IP routes)', async () => {
    assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
    for (const d of [a, b]) {
      const bad = d.child.stderr().trim().split('\n').filter((l) => l !== '' && !l.startsWith('{'));
      assert.deepEqual(bad, [], 'lines on standard error that are not JSON log lines');
    }
  });
});

test('store and forward: A keeps mail for a down B in its queue and delivers it when B comes up, by itself or after postroom queue flush', { timeout: 60_000 }, async (t) => {
  const work = workDir(t, 'postroom-relay-');
  const dir = work.dir;
  const portB = await freePort();
  const route = { 'example.net': { port: portB, tls: 'opportunistic' as const } };
  // A1 retries after 1–2 s; A2 would wait an hour: only `postroom queue flush` makes it try again soon.
  const a1 = await startRelayDaemon(work, { dir, name: 'a1', hostname: 'mx1.example.test', domains: ['example.test'], queue: FAST, routes: route, users: ['ann@example.test'] });
  const a2 = await startRelayDaemon(work, {
    dir, name: 'a2', hostname: 'mx2.example.test', domains: ['example.test'], queue: { min_backoff: '1h', max_backoff: '1h' }, routes: route, users: ['ann@example.test'],
  });
  const m1 = message('ann@example.test', 'bob@example.net', 'retried by itself');
  const m2 = message('ann@example.test', 'bob@example.net', 'flushed');
  await sendMessage(`127.0.0.1:${a1.smtp.port}`, { from: 'ann@example.test', to: ['bob@example.net'], data: m1 });
  await sendMessage(`127.0.0.1:${a2.smtp.port}`, { from: 'ann@example.test', to: ['bob@example.net'], data: m2 });

  for (const a of [a1, a2]) {
    const rcpt = await waitForQueue(a.dataDir, (items) => {
      const r = items[0]?.rcpts[0];
      return items.length === 1 && r?.state === 'deferred' ? r : undefined;
    });
    assert.equal(rcpt.address, 'bob@example.net');
    assert.ok(rcpt.attempts >= 1);
    assert.match(rcpt.lastReply ?? '', new RegExp(`^451 4\\.4\\.1 \\[127\\.0\\.0\\.1\\]:${portB}: Cannot connect to 127\\.0\\.0\\.1:${portB}: ECONNREFUSED$`));
  }

  // B comes up on the port A's route names; nobody types a command into A1.
  const b = await startRelayDaemon(work, { dir, name: 'b', hostname: 'mx.example.net', domains: ['example.net'], smtpPort: portB, users: ['bob@example.net'] });
  const [first] = await waitForMailboxMessages(b.dataDir, 'bob@example.net', 1, 15_000);
  assert.equal(splitTrace(first!).rest.toString('utf8'), m1.toString('utf8'));
  await waitForQueue(a1.dataDir, (items) => (items.length === 0 ? true : undefined));

  // A2's retry is an hour away: its message is still queued, and B has only A1's.
  assert.equal((await queueList(a2.dataDir))[0]?.rcpts[0]?.state, 'deferred');
  assert.equal((await mailboxMessages(b.dataDir, 'bob@example.net')).length, 1);
  const flushed = await runCli(['queue', 'flush', '--data-dir', a2.dataDir]);
  assert.deepEqual(flushed, { code: 0, out: 'queue flushed: 1 recipient(s) due now; the running server was told\n', err: '' });
  const both = await waitForMailboxMessages(b.dataDir, 'bob@example.net', 2, 10_000);
  assert.equal(splitTrace(both[1]!).rest.toString('utf8'), m2.toString('utf8'));
  await waitForQueue(a2.dataDir, (items) => (items.length === 0 ? true : undefined));
  for (const d of [a1, a2, b]) assert.equal(await d.stop(), 0);
});
