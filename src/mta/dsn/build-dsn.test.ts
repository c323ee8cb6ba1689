import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buildDsn, type DsnBuildOptions } from './build-dsn.js';
import { SUBJECT_DELAYED, SUBJECT_FAILED, SUBJECT_SUCCESS } from './dsn-text.js';
import { accepted, ARRIVED, headerOf, need, NOW, original, queued, readBack, tryLater, userUnknown, type ReadBack } from '../../testing/dsn-kit.js';
import type { RcptResult } from '../../store/index.js';
import type { DsnNeed } from '../queue/index.js';

const opts: DsnBuildOptions = { reportingMta: 'mx.x.test', now: NOW };

/** RFC 5322 §2.1.1: CRLF line ends, at most 998 octets a line; with `sevenBit`, RFC 2045 §2.7 too. */
function assertWireSafe(raw: Buffer, sevenBit: boolean): void {
  const lines = raw.toString('latin1').split('\r\n');
  assert.equal(lines.pop(), '', 'the message ends with CRLF');
  for (const l of lines) {
    assert.ok(!/[\r\n]/.test(l), `bare line break in ${JSON.stringify(l.slice(0, 60))}`);
    assert.ok(l.length <= 998, `a line of ${l.length} octets`);
  }
  if (sevenBit) assert.ok(raw.every((b) => b < 0x80 && b !== 0), 'the message is 7-bit');
}

/** The machine-readable part's raw body. */
function machinePart(r: ReadBack): Buffer {
  const p = r.parsed.parts.find((x) => x.contentType === 'message/delivery-status');
  assert.ok(p, 'a message/delivery-status part');
  return r.raw.subarray(p.offsets.body, p.offsets.end);
}

const returnedType = (r: ReadBack): string | undefined =>
  r.parsed.parts.find((p) => p.contentType === 'message/rfc822' || p.contentType === 'text/rfc822-headers')?.contentType;

test('buildDsn TSDoc example: a bounce from <> to the sender, queued in the store', async () => {
  const q = await queued();
  const needs = [need(q.item, 'failed', userUnknown('bob@y.test'))];
  const { envelope, message } = await buildDsn(needs, () => q.store.blobs.get(q.item.body), { reportingMta: 'mx.x.test', now: new Date() });
  const id = await q.store.queue.enqueue(envelope, await q.store.blobs.put(message, { maxBytes: 1 << 24 }));
  assert.equal((await q.store.queue.get(id))?.envelope.from, '');
});

test('buildDsn makes a failure report: envelope, header, Postfix text, RFC 3464 fields and the whole original (no RET)', async () => {
  const q = await queued();
  const { envelope, message } = await buildDsn([need(q.item, 'failed', userUnknown('bob@y.test', 'mx.y.test[192.0.2.1]'))], q.body, opts);
  assert.deepEqual(envelope, {
    from: '',
    rcpts: [{ address: 'ann@x.test' }],
    smtputf8: false,
    body: '7BIT',
    receivedAt: NOW,
    client: { helo: 'mx.x.test', ip: '127.0.0.1', tls: false, protocol: 'LOCAL' },
  });
  const r = await readBack(message);
  assertWireSafe(r.raw, true);
  assert.equal(r.parsed.from?.address, 'MAILER-DAEMON@mx.x.test');
  assert.equal(r.parsed.from?.name, 'Mail Delivery System');
  assert.deepEqual(r.parsed.to.map((a) => a.address), ['ann@x.test']);
  assert.equal(r.parsed.subject, SUBJECT_FAILED);
  assert.equal(headerOf(r.parsed, 'Auto-Submitted'), 'auto-replied');
  assert.equal(r.parsed.date?.getTime(), NOW.getTime());
  assert.match(r.parsed.messageId ?? '', /@mx\.x\.test>?$/);
  assert.match(headerOf(r.parsed, 'Content-Type') ?? '', /^multipart\/report; report-type=delivery-status;/);
  assert.equal(r.report.reportType, 'delivery-status');
  assert.deepEqual(r.report.problems, []);
  assert.deepEqual(r.report.fields, {
    'reporting-mta': 'dns; mx.x.test',
    'x-postroom-queue-id': q.item.id,
    'arrival-date': 'Sun, 01 Mar 2026 08:00:00 +0000',
  });
  assert.deepEqual(r.report.recipients, [
    {
      'final-recipient': 'rfc822; bob@y.test',
      action: 'failed',
      status: '5.1.1',
      'remote-mta': 'dns; mx.y.test',
      'diagnostic-code': 'smtp; 550 5.1.1 User unknown',
      'last-attempt-date': 'Sun, 01 Mar 2026 12:30:00 +0000',
    },
  ]);
  assert.match(r.report.text ?? '', /This is the mail system at host mx\.x\.test\./);
  assert.match(r.report.text ?? '', /<bob@y\.test>: host mx\.y\.test\[192\.0\.2\.1\] said: 550 5\.1\.1 User unknown/);
  assert.match(r.report.text ?? '', /<postmaster@mx\.x\.test>/);
  assert.equal(returnedType(r), 'message/rfc822');
  assert.equal(r.report.original?.get('Subject'), 'Quarterly report');
  const att = r.parsed.attachments.find((a) => a.contentType === 'message/rfc822');
  assert.equal(att?.content.toString(), original(), 'the original is returned byte for byte');
});

const kinds: [DsnNeed['kind'], RcptResult, string, string, string][] = [
  ['failed', userUnknown('bob@y.test'), '5.1.1', SUBJECT_FAILED, 'message/rfc822'],
  ['delayed', tryLater('bob@y.test'), '4.4.1', SUBJECT_DELAYED, 'text/rfc822-headers'],
  ['delivered', accepted('bob@y.test'), '2.0.0', SUBJECT_SUCCESS, 'text/rfc822-headers'],
  ['relayed', accepted('bob@y.test', 'mx.y.test'), '2.0.0', SUBJECT_SUCCESS, 'text/rfc822-headers'],
  ['expanded', { rcpt: 'bob@y.test', outcome: 'delivered', reply: '250 2.0.0 Delivered to 3 mailboxes', action: 'expanded' }, '2.0.0', SUBJECT_SUCCESS, 'text/rfc822-headers'],
];
for (const [kind, result, status, subject, returned] of kinds) {
  test(`buildDsn reports Action ${kind} with Status ${status}, Subject "${subject}" and ${returned} (no RET)`, async () => {
    const q = await queued();
    const r = await readBack((await buildDsn([need(q.item, kind, result)], q.body, opts)).message);
    assertWireSafe(r.raw, true);
    assert.equal(r.parsed.subject, subject);
    const [rcpt] = r.report.recipients;
    assert.equal(rcpt?.['action'], kind);
    assert.equal(rcpt?.['status'], status);
    assert.equal(rcpt?.['will-retry-until'], kind === 'delayed' ? 'Fri, 06 Mar 2026 08:00:00 +0000' : undefined);
    assert.equal(returnedType(r), returned);
    assert.equal(r.report.original?.get('Message-ID'), '<orig.1@x.test>');
    if (kind === 'delayed') assert.match(r.report.text ?? '', /could not be delivered for more than 4 hours\.\r\nIt will be retried until it is 5 days old\./);
    if (kind !== 'failed' && kind !== 'delayed') assert.match(r.report.text ?? '', /successfully delivered/);
  });
}

test('buildDsn honours RET: HDRS returns the header of a failure, FULL the whole message with a success', async () => {
  const hdrs = await queued({ env: { ret: 'HDRS' } });
  const h = await readBack((await buildDsn([need(hdrs.item, 'failed', userUnknown('bob@y.test'))], hdrs.body, opts)).message);
  assert.equal(returnedType(h), 'text/rfc822-headers');
  assert.equal(h.report.original?.get('Subject'), 'Quarterly report');
  assert.doesNotMatch(h.raw.toString(), /Hello Bob/);
  const full = await queued({ env: { ret: 'FULL' } });
  const f = await readBack((await buildDsn([need(full.item, 'delivered', accepted('bob@y.test'))], full.body, opts)).message);
  assert.equal(returnedType(f), 'message/rfc822');
  assert.match(f.raw.toString(), /Hello Bob/);
});

test('buildDsn returns only the header of a message over maxFullBytes, says so, and reads only the header', async () => {
  const body = 'All work and no play makes Jack a dull boy.\r\n'.repeat(50_000); // ≈ 2.2 MB
  const q = await queued({ message: original({ body }), env: { ret: 'FULL' } });
  // The original in 4 KiB chunks, counting what the builder pulls.
  const bytes = Buffer.from(original({ body }));
  let pulled = 0;
  const counting = async (): Promise<Readable> =>
    new Readable({
      highWaterMark: 4096,
      read() {
        if (pulled >= bytes.length) return void this.push(null);
        this.push(bytes.subarray(pulled, pulled + 4096));
        pulled += 4096;
      },
    });
  const { message } = await buildDsn([need(q.item, 'failed', userUnknown('bob@y.test'))], counting, { ...opts, maxFullBytes: 10_000 });
  const r = await readBack(message);
  assert.equal(returnedType(r), 'text/rfc822-headers');
  assert.equal(r.report.original?.get('Subject'), 'Quarterly report');
  assert.match(r.report.text ?? '', /Your message was larger than 10000 bytes, so only its header is attached below\./);
  assert.ok(r.raw.length < 5000, `report of ${r.raw.length} bytes`);
  assert.ok(pulled <= 4 * 4096, `read ${pulled} bytes of the original`);
  const def = await readBack((await buildDsn([need(q.item, 'failed', userUnknown('bob@y.test'))], q.body, opts)).message);
  assert.equal(returnedType(def), 'text/rfc822-headers', 'the default cap is 50,000 bytes');
  const small = await queued({ message: original({ body: 'x'.repeat(70) + '\r\n'.repeat(600) }) });
  const s = await readBack((await buildDsn([need(small.item, 'failed', userUnknown('bob@y.test'))], small.body, opts)).message);
  assert.equal(returnedType(s), 'message/rfc822', 'a message under the cap is returned whole');
});

test('buildDsn carries ENVID (Original-Envelope-Id) and ORCPT (Original-Recipient), encoding what is not ASCII', async () => {
  const q = await queued({
    rcpts: [{ address: 'bob@y.test', orcpt: 'rfc822;Bob+lists@y.test', notify: ['FAILURE'] }, { address: 'carl@y.test', orcpt: 'utf-8;cärl@y.test' }],
    env: { envid: 'QQ314159' },
  });
  const r = await readBack((await buildDsn([need(q.item, 'failed', userUnknown('bob@y.test')), need(q.item, 'failed', userUnknown('carl@y.test'))], q.body, opts)).message);
  assert.equal(r.report.fields['original-envelope-id'], 'QQ314159');
  assert.equal(r.report.recipients[0]?.['original-recipient'], 'rfc822; Bob+lists@y.test');
  assert.equal(r.report.recipients[1]?.['original-recipient'], 'utf-8; c\\x{E4}rl@y.test');
  assert.match(r.report.text ?? '', /<bob@y\.test> \(expanded from <Bob\+lists@y\.test>\)/);
  assertWireSafe(machinePart(r), true);
  const odd = await queued({ env: { envid: 'ü 1' } });
  const o = await readBack((await buildDsn([need(odd.item, 'failed', userUnknown('bob@y.test'))], odd.body, opts)).message);
  assert.equal(o.report.fields['original-envelope-id'], '+C3+BC+201');
});

test('buildDsn makes one report for several recipients and Actions, with the failure Subject', async () => {
  const q = await queued({ rcpts: ['bob@y.test', 'carl@y.test', 'dora@y.test'] });
  const needs = [
    need(q.item, 'delivered', accepted('dora@y.test')),
    need(q.item, 'failed', userUnknown('bob@y.test')),
    need(q.item, 'delayed', tryLater('carl@y.test')),
  ];
  const r = await readBack((await buildDsn(needs, q.body, opts)).message);
  assert.equal(r.parsed.subject, SUBJECT_FAILED);
  assert.deepEqual(r.report.recipients.map((x) => [x['final-recipient'], x['action'], x['status']]), [
    ['rfc822; dora@y.test', 'delivered', '2.0.0'],
    ['rfc822; bob@y.test', 'failed', '5.1.1'],
    ['rfc822; carl@y.test', 'delayed', '4.4.1'],
  ]);
  assert.equal(returnedType(r), 'message/rfc822');
});

test('buildDsn refuses needs of two items, no needs, and an item from the null sender', async () => {
  const a = await queued();
  const b = await queued({ store: a.store });
  await assert.rejects(buildDsn([need(a.item, 'failed', userUnknown('bob@y.test')), need(b.item, 'failed', userUnknown('bob@y.test'))], a.body, opts), /Cannot build DSN: recipients of two queue items/);
  await assert.rejects(buildDsn([], a.body, opts), /Cannot build DSN: no recipients/);
  const nul = await queued({ from: '' });
  await assert.rejects(buildDsn([need(nul.item, 'failed', userUnknown('bob@y.test'))], nul.body, opts), /null sender/);
  await assert.rejects(buildDsn([need(a.item, 'failed', userUnknown('bob@y.test'))], a.body, { ...opts, reportingMta: 'bad host\r\n' }), /not a host name/);
});

test('buildDsn makes the report 8BITMIME when the returned original has 8-bit data, and keeps the machine part 7-bit', async () => {
  const q = await queued({ message: original({ subject: 'Gr\xfc\xdfe', body: 'Gr\xfc\xdfe aus K\xf6ln\r\n' }), env: { body: '8BITMIME' } });
  const { envelope, message } = await buildDsn([need(q.item, 'failed', userUnknown('bob@y.test'))], q.body, opts);
  assert.equal(envelope.body, '8BITMIME');
  assert.equal(envelope.smtputf8, false);
  const r = await readBack(message);
  assertWireSafe(r.raw, false);
  assertWireSafe(machinePart(r), true);
  assert.match(r.raw.toString('latin1'), /Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 8bit/);
  assert.ok(r.raw.includes(Buffer.from('Grüße aus Köln', 'utf8')));
  const hdrs = await queued({ message: original({ subject: 'Grüße' }), env: { ret: 'HDRS', body: '8BITMIME' } });
  const h = await buildDsn([need(hdrs.item, 'failed', userUnknown('bob@y.test'))], hdrs.body, opts);
  assert.equal(h.envelope.body, '8BITMIME');
  const plain = await queued({ env: { body: '8BITMIME' } });
  assert.equal((await buildDsn([need(plain.item, 'failed', userUnknown('bob@y.test'))], plain.body, opts)).envelope.body, '7BIT');
});

test('buildDsn asks for SMTPUTF8 for a UTF-8 sender or a returned SMTPUTF8 header, and escapes UTF-8 in the fields', async () => {
  const q = await queued({ from: 'zoë@x.test', rcpts: ['jürgen@y.test'], message: original({ subject: 'Grüße' }), env: { smtputf8: true, body: '8BITMIME' } });
  const { envelope, message } = await buildDsn([need(q.item, 'failed', userUnknown('jürgen@y.test'))], q.body, opts);
  assert.deepEqual([envelope.smtputf8, envelope.body, envelope.rcpts], [true, '8BITMIME', [{ address: 'zoë@x.test' }]]);
  const r = await readBack(message);
  assert.equal(r.parsed.to[0]?.address, 'zoë@x.test');
  assert.equal(r.report.recipients[0]?.['final-recipient'], 'utf-8; j\\x{FC}rgen@y.test');
  assertWireSafe(machinePart(r), true);
  assert.equal(r.report.original?.get('Subject'), 'Grüße');
  const utf8Header = await queued({ rcpts: ['bob@y.test'], message: original({ subject: 'Grüße' }), env: { smtputf8: true, ret: 'HDRS' } });
  assert.equal((await buildDsn([need(utf8Header.item, 'failed', userUnknown('bob@y.test'))], utf8Header.body, opts)).envelope.smtputf8, true);
  const asciiHeader = await queued({ rcpts: ['bob@y.test'], env: { smtputf8: true } });
  assert.equal((await buildDsn([need(asciiHeader.item, 'failed', userUnknown('bob@y.test'))], asciiHeader.body, opts)).envelope.smtputf8, false);
});

test('buildDsn returns only the header of a message that message/rfc822 cannot carry (a line over 998 octets)', async () => {
  const q = await queued({ message: original({ body: 'b'.repeat(5000) + '\r\n' }), env: { body: '8BITMIME' } });
  const r = await readBack((await buildDsn([need(q.item, 'failed', userUnknown('bob@y.test'))], q.body, opts)).message);
  assert.equal(returnedType(r), 'text/rfc822-headers');
  assert.match(r.report.text ?? '', /cannot be returned as it is/);
  assertWireSafe(r.raw, true);
});

test('buildDsn writes dates in tzOffsetMinutes and Will-Retry-Until from lifetimeMs; postmaster shows in the text', async () => {
  const q = await queued();
  const r = await readBack(
    (await buildDsn([need(q.item, 'delayed', tryLater('bob@y.test'))], q.body, { ...opts, tzOffsetMinutes: -300, lifetimeMs: 86_400_000, postmaster: 'help@x.test' })).message,
  );
  assert.equal(r.report.fields['arrival-date'], 'Sun, 01 Mar 2026 03:00:00 -0500');
  assert.equal(r.report.recipients[0]?.['will-retry-until'], 'Mon, 02 Mar 2026 03:00:00 -0500');
  assert.equal(new Date(ARRIVED.getTime() + 86_400_000).toISOString(), '2026-03-02T08:00:00.000Z');
  assert.match(r.report.text ?? '', /<help@x\.test>/);
  assert.match(r.report.text ?? '', /retried until it is 1 day old/);
});

test('buildDsn keeps long remote replies within the line limit', async () => {
  const q = await queued();
  const text = `${'verylongtoken'.repeat(200)} ${'word '.repeat(500)}`;
  const r = await readBack((await buildDsn([need(q.item, 'failed', { ...userUnknown('bob@y.test', 'mx.y.test'), text })], q.body, opts)).message);
  assertWireSafe(r.raw, true);
  assert.ok((r.report.recipients[0]?.['diagnostic-code']?.length ?? 0) <= 910);
});
