/**
 * Interop (issue 5 §4): delivery status notifications (RFC 3461, RFC 3464) across real peers.
 * (a) Reports postroom makes about what it relays, delivered into the local sender's mailbox and read by Python's
 *     email package and by our MIME library (`readReport`): a recipient an smtp-sink refuses (failed, with
 *     ENVID, ORCPT, RET=HDRS); NOTIFY=SUCCESS to a hop without DSN (relayed) and to one with DSN (no report: the
 *     request travels on); a message from <> that fails (no report); a route that is down past `queue.lifetime`
 *     (failed, 5.4.7 expired) and with NOTIFY=DELAY (one delay notice, however many retries).
 * (b) A report Postfix makes (its bounce(8), via `postfixBounceFixture`) sent to postroom for a local user:
 *     postroom delivers it, and `readReport` recognizes it.
 * One postroom serves the quick cases (each its own sender, so each report lands in its own mailbox); the slow
 * ones (expiry, delay) each have a postroom of their own and run meanwhile. One case guards a bug this test found
 * (fixed): a refused recipient's reply was quoted twice in the report.
 * Peers: smtp-sink and python3 (the whole test), Postfix (root; case b). Missing, the test or case skips, or fails
 * under POSTROOM_REQUIRE_PEERS=1.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { NO_SMTP_PORT } from '../../src/testing/app-daemon.js';
import { hasCommand, needPeer } from '../../src/testing/peers.js';
import { postfixBounceFixture, postfixMissing } from '../../src/testing/postfix.js';
import { needReady, sendMessage, smtpSinkMissing, startSmtpSink, type SendRcpt } from '../../src/testing/smtp-sink.js';
import { mailboxMessages, startRelayDaemon, workDir, waitForMailboxMessages, waitForQueue, type RelayDaemon } from '../../src/testing/relay-daemons.js';
import { ourReport, pythonReport } from '../../src/testing/relay-reports.js';

const USERS = ['ann', 'bob', 'carl', 'fay'].map((u) => `${u}@example.test`);

/** A short message whose Subject names the case. */
const message = (subject: string): Buffer =>
  Buffer.from(`From: <sender@example.test>\r\nTo: <rcpt@example.net>\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 11:50:41 +0000\r\nMessage-ID: <${subject.replace(/\W+/g, '-')}@relay.test>\r\n\r\nThe body of ${subject}.\r\n`);

/** Submits to postroom's MX port (a trusted network). */
const submit = (p: RelayDaemon, from: string, to: readonly SendRcpt[], subject: string, fromParams?: string): Promise<string> =>
  sendMessage(`127.0.0.1:${p.smtp.port}`, { from, to, data: message(subject), ...(fromParams ? { fromParams } : {}) });

/**
 * Waits until postroom's queue holds nothing from or to `address`: its messages settled, and every report it was
 * owed delivered (a report is queued before the attempt that owes it settles). '' waits for the whole queue.
 */
const settled = (p: RelayDaemon, address: string, timeoutMs = 15_000): Promise<true> =>
  waitForQueue(
    p.dataDir,
    (items) => (items.every((i) => address !== '' && i.envelope.from !== address && i.rcpts.every((r) => r.address !== address)) ? true : undefined),
    timeoutMs,
  );

test('postroom sends delivery status notifications as RFC 3464 reports, and recognizes one from Postfix', { timeout: 60_000 }, async (t) => {
  if (!needReady(t, smtpSinkMissing()) || !needPeer(t, 'python3', hasCommand('python3'))) return;
  const work = workDir(t, 'postroom-relay-dsn-');
  const dir = work.dir;
  const reject = await startSmtpSink({ dir: path.join(dir, 'reject'), hostname: 'reject.sink.test', hardReject: ['RCPT'], hardReply: '550 5.1.1 Recipient address rejected: User unknown' });
  work.after(() => reject.stop());
  const noDsn = await startSmtpSink({ dir: path.join(dir, 'nodsn'), disable: ['DSN'] });
  work.after(() => noDsn.stop());
  const dsn = await startSmtpSink({ dir: path.join(dir, 'dsn') });
  work.after(() => dsn.stop());
  // The slow cases (a route that is down until the message expires) each get a quiet postroom of their own: one
  // with nothing else in its queue keeps its timing simple.
  // Retries every second; a message expires after 4 s; NOTIFY=DELAY recipients are told after 1 s.
  const slowQueue = { min_backoff: '1s', max_backoff: '1s', lifetime: '4s', delay_warning: '1s' };
  const down = { 'down.test': { port: NO_SMTP_PORT, tls: 'none' as const } };
  const [p, expiry, delay] = await Promise.all([
    startRelayDaemon(work, {
      dir, name: 'postroom', hostname: 'mx.example.test', domains: ['example.test'], users: USERS, queue: slowQueue,
      routes: {
        'reject.test': { port: reject.port, tls: 'none' },
        'nodsn.test': { port: noDsn.port, tls: 'none' },
        'dsn.test': { port: dsn.port, tls: 'none' },
      },
    }),
    startRelayDaemon(work, { dir, name: 'expiry', hostname: 'mx.example.test', domains: ['example.test'], users: ['erin@example.test'], queue: slowQueue, routes: down }),
    startRelayDaemon(work, { dir, name: 'delay', hostname: 'mx.example.test', domains: ['example.test'], users: ['dave@example.test'], queue: slowQueue, routes: down }),
  ]);

  // The slow cases first, so their retries run while the others are checked.
  await submit(expiry, 'erin@example.test', ['gone@down.test'], 'expiry case');
  await submit(delay, 'dave@example.test', [{ to: 'late@down.test', params: 'NOTIFY=DELAY' }], 'delay case');
  const slowSince = Date.now();

  let rejectReport: Buffer | undefined;
  await t.test('a recipient the next hop refuses (550) gets a failure report: Python and readReport agree on every field', async () => {
    await submit(p, 'ann@example.test', [{ to: 'nobody@reject.test', params: 'NOTIFY=FAILURE ORCPT=rfc822;Nobody+2Balias@reject.test' }], 'reject case', 'RET=HDRS ENVID=reject-case-1');
    const [raw] = await waitForMailboxMessages(p.dataDir, 'ann@example.test', 1);
    rejectReport = raw;
    const py = pythonReport(raw!);
    assert.equal(py.type, 'multipart/report');
    assert.equal(py.report_type, 'delivery-status');
    assert.deepEqual(py.defects, []);
    assert.deepEqual([py.subject, py.from, py.to, py.auto_submitted], ['Undelivered Mail Returned to Sender', ['MAILER-DAEMON@mx.example.test'], ['ann@example.test'], 'auto-replied']);
    assert.deepEqual(py.parts, ['text/plain', 'message/delivery-status', 'text/rfc822-headers'], 'RET=HDRS returns the header only');
    assert.equal(py.blocks.length, 2);
    assert.equal(py.blocks[0]!['reporting-mta'], 'dns; mx.example.test');
    assert.equal(py.blocks[0]!['original-envelope-id'], 'reject-case-1');
    const r = py.blocks[1]!;
    assert.deepEqual(
      [r['original-recipient'], r['final-recipient'], r['action'], r['status'], r['remote-mta']],
      ['rfc822; Nobody+alias@reject.test', 'rfc822; nobody@reject.test', 'failed', '5.1.1', 'dns; 127.0.0.1'],
    );
    assert.match(r['diagnostic-code'] ?? '', /^smtp; 550 5\.1\.1 .*Recipient address rejected: User unknown$/);
    assert.match(py.original_headers ?? '', /^Subject: reject case$/m);
    assert.doesNotMatch(py.original_headers ?? '', /The body of/);

    const ours = ourReport(raw!);
    assert.equal(ours.reportType, 'delivery-status');
    assert.deepEqual(ours.problems, []);
    assert.equal(ours.fields['original-envelope-id'], 'reject-case-1');
    assert.equal(ours.fields['reporting-mta'], 'dns; mx.example.test');
    assert.equal(ours.recipients.length, 1);
    for (const k of ['original-recipient', 'final-recipient', 'action', 'status', 'remote-mta', 'diagnostic-code']) assert.equal(ours.recipients[0]![k], r[k], k);
    assert.equal(ours.original?.get('subject'), 'reject case');
    assert.match(ours.text ?? '', /<nobody@reject\.test>/);
  });

  // Regression: the refused recipient's text once carried "host … said: 550 5.1.1" itself, so the report quoted it twice.
  await t.test('the failure report quotes the next hop\'s reply once: Diagnostic-Code "smtp; <reply>" and one "host … said:" line', () => {
    assert.ok(rejectReport, 'the failure report arrived');
    const py = pythonReport(rejectReport);
    assert.equal(py.blocks[1]!['diagnostic-code'], 'smtp; 550 5.1.1 Recipient address rejected: User unknown');
    assert.match(ourReport(rejectReport).text ?? '', /^<nobody@reject\.test> \(expanded from <Nobody\+alias@reject\.test>\): host 127\.0\.0\.1 said: 550 5\.1\.1 Recipient address rejected: User unknown\r?$/m);
  });

  await t.test('NOTIFY=SUCCESS to a hop without DSN: a "relayed" report; to a hop with DSN: NOTIFY goes on and no report', async () => {
    await submit(p, 'carl@example.test', [{ to: 'x@nodsn.test', params: 'NOTIFY=SUCCESS' }], 'relayed case', 'ENVID=relayed-1');
    await submit(p, 'bob@example.test', [{ to: 'y@dsn.test', params: 'NOTIFY=SUCCESS' }], 'passed on case', 'ENVID=passed-1');
    const [raw] = await waitForMailboxMessages(p.dataDir, 'carl@example.test', 1);
    const py = pythonReport(raw!);
    assert.equal(py.subject, 'Successful Mail Delivery Report');
    assert.equal(py.report_type, 'delivery-status');
    assert.deepEqual([py.blocks[1]!['final-recipient'], py.blocks[1]!['action'], py.blocks[1]!['status']], ['rfc822; x@nodsn.test', 'relayed', '2.0.0']);
    const ours = ourReport(raw!);
    assert.deepEqual([ours.recipients[0]!['action'], ours.recipients[0]!['status'], ours.fields['original-envelope-id']], ['relayed', '2.0.0', 'relayed-1']);
    const [plain] = await noDsn.messages();
    assert.deepEqual([plain?.rcpts[0]?.params['NOTIFY'], plain?.fromParams['ENVID']], [undefined, undefined], 'no DSN parameters to a host that does not offer DSN');

    const [passed] = await dsn.waitForMessages(1);
    assert.deepEqual([passed!.rcpts[0]!.params['NOTIFY'], passed!.fromParams['ENVID']], ['SUCCESS', 'passed-1'], 'the request travels on');
    await settled(p, 'bob@example.test');
    assert.deepEqual(await mailboxMessages(p.dataDir, 'bob@example.test'), [], 'the DSN-capable hop reports, not postroom');
  });

  await t.test('a message from <> that fails produces no report (a double bounce is only logged)', async () => {
    const counts = () => Promise.all(USERS.map(async (u) => (await mailboxMessages(p.dataDir, u)).length));
    const before = await counts();
    await submit(p, '', ['bounce@reject.test'], 'null sender case');
    await settled(p, 'bounce@reject.test');
    assert.deepEqual(await counts(), before, 'no report in any mailbox');
    const logs = p.child.logs();
    assert.ok(logs.some((l) => l['msg'] === 'recipient failed' && l['from'] === '' && l['rcpt'] === 'bounce@reject.test'), 'the failure is logged');
  });

  await t.test('a Postfix bounce (RFC 3464, from bounce(8)) for a local user is delivered, and readReport recognizes it', async (t) => {
    if (!needReady(t, postfixMissing())) return;
    const f = await postfixBounceFixture({ dir: path.join(dir, 'postfix'), returnTo: `127.0.0.1:${p.smtp.port}`, from: 'fay@example.test', envid: 'pf-envid-7' });
    work.after(() => f.postfix.stop());
    const [raw] = await waitForMailboxMessages(p.dataDir, 'fay@example.test', 1);
    assert.match(raw!.toString('latin1'), /^Return-Path: <>\r\n/, 'from the null sender');
    const ours = ourReport(raw!);
    assert.equal(ours.reportType, 'delivery-status');
    assert.deepEqual(ours.problems, []);
    assert.equal(ours.fields['reporting-mta'], 'dns; mx.postfix.test');
    assert.equal(ours.fields['original-envelope-id'], 'pf-envid-7');
    assert.equal(ours.recipients.length, 1);
    assert.equal(ours.recipients[0]!['final-recipient'], `rfc822; ${f.to}`);
    assert.equal(ours.recipients[0]!['action'], 'failed');
    assert.equal(ours.recipients[0]!['status'], '5.1.1');
    assert.equal(ours.original?.get('subject'), 'Bounce fixture');
    await f.postfix.stop();
  });

  await t.test('a route down past queue.lifetime: one failure report (5.4.7, expired); NOTIFY=DELAY: one delay notice only', async () => {
    const [expired] = await waitForMailboxMessages(expiry.dataDir, 'erin@example.test', 1, 15_000);
    const py = pythonReport(expired!);
    assert.equal(py.subject, 'Undelivered Mail Returned to Sender');
    assert.deepEqual(py.parts, ['text/plain', 'message/delivery-status', 'message/rfc822'], 'RET absent: the whole message (it is small)');
    const r = py.blocks[1]!;
    assert.deepEqual([r['final-recipient'], r['action'], r['status']], ['rfc822; gone@down.test', 'failed', '5.4.7']);
    assert.match(r['diagnostic-code'] ?? '', /^X-Postroom; Message expired after .* in the queue: 451 4\.4\.1 \[127\.0\.0\.1\]:9: Cannot connect to 127\.0\.0\.1:9: ECONNREFUSED$/);
    assert.equal(r['remote-mta'], undefined, 'no host ever answered');
    const ours = ourReport(expired!);
    assert.deepEqual([ours.recipients[0]!['action'], ours.recipients[0]!['status']], ['failed', '5.4.7']);
    assert.ok(Date.now() - slowSince >= 3_000, 'not before the lifetime ran out');

    // The delay case also expires (same lifetime); NOTIFY=DELAY without FAILURE: no failure report.
    await settled(delay, '');
    const delayed = await mailboxMessages(delay.dataDir, 'dave@example.test');
    assert.equal(delayed.length, 1, 'one delay notice, however many retries');
    const d = pythonReport(delayed[0]!);
    assert.equal(d.subject, 'Delayed Mail (still being retried)');
    assert.deepEqual(d.parts, ['text/plain', 'message/delivery-status', 'text/rfc822-headers'], 'without RET a delay notice returns the header only');
    assert.deepEqual([d.blocks[1]!['final-recipient'], d.blocks[1]!['action'], d.blocks[1]!['status']], ['rfc822; late@down.test', 'delayed', '4.4.1']);
    assert.ok(d.blocks[1]!['will-retry-until'], 'Will-Retry-Until');
    assert.equal(ourReport(delayed[0]!).recipients[0]!['action'], 'delayed');
  });

  assert.deepEqual(await Promise.all([p.stop(), expiry.stop(), delay.stop()]), [0, 0, 0]);
});
