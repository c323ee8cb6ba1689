import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { parseMessageBuffer } from '../message.js';
import { composeMessage, composeMessageBuffer, composeMessageTo, type ComposeInput } from './index.js';

const base: ComposeInput = { from: 'ann@x.test', to: ['bob@y.test'], date: new Date('2026-03-01T12:00:00Z'), messageId: 'id1@x.test' };

/** The header block of a message as a list of unfolded `Name: value` lines. */
function headerNames(raw: Buffer): string[] {
  const head = raw.toString('latin1').split('\r\n\r\n')[0]!;
  return head.split(/\r\n(?![ \t])/).map((l) => l.slice(0, l.indexOf(':')));
}

test('composeMessageBuffer writes a text-only message as a single text/plain part', async () => {
  const raw = await composeMessageBuffer({ ...base, subject: 'Hi', text: 'Hello\nWorld' });
  const s = raw.toString('latin1');
  assert.match(s, /\r\nContent-Type: text\/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello\r\nWorld\r\n$/);
  assert.doesNotMatch(s, /multipart/);
  const m = parseMessageBuffer(raw);
  assert.equal(m.text, 'Hello\r\nWorld\r\n');
  assert.deepEqual(m.problems, []);
});

test('composeMessageBuffer writes header fields in Thunderbird order', async () => {
  const raw = await composeMessageBuffer({
    ...base,
    sender: 'sec@x.test',
    replyTo: ['r@x.test'],
    subject: 's',
    cc: ['c@y.test'],
    bcc: ['hidden@z.test'],
    bccHeader: true,
    inReplyTo: 'p@x.test',
    references: ['<o@x.test>', 'p@x.test'],
    headers: [['X-Mailer', 'postroom'], ['Disposition-Notification-To', 'ann@x.test']],
    text: 't',
  });
  assert.deepEqual(headerNames(raw), [
    'Date', 'From', 'Sender', 'Reply-To', 'Subject', 'To', 'Cc', 'Bcc', 'Message-ID', 'In-Reply-To', 'References',
    'X-Mailer', 'Disposition-Notification-To', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding',
  ]);
  const m = parseMessageBuffer(raw);
  assert.deepEqual(m.references, ['o@x.test', 'p@x.test']);
  assert.deepEqual(m.inReplyTo, ['p@x.test']);
  assert.equal(m.messageId, 'id1@x.test');
  assert.equal(m.date?.toISOString(), '2026-03-01T12:00:00.000Z');
});

test('composeMessageBuffer leaves Bcc out of the header by default (RFC 5322 §3.6.3)', async () => {
  const raw = await composeMessageBuffer({ ...base, bcc: ['hidden@z.test'], text: 't' });
  assert.doesNotMatch(raw.toString('latin1'), /hidden|^Bcc:/im);
});

test('composeMessageBuffer generates Date and a Message-ID in the From domain', async () => {
  const before = Date.now();
  const raw = await composeMessageBuffer({ from: { name: 'Zoë', address: 'zoe@bücher.example' }, to: ['b@y.test'], text: 't' });
  const m = parseMessageBuffer(raw);
  assert.match(m.messageId ?? '', /^[a-z2-7]{16}\.[a-z2-7]+@xn--bcher-kva\.example$/);
  assert.ok(m.date instanceof Date && Math.abs(m.date.getTime() - before) < 5000);
  const other = parseMessageBuffer(await composeMessageBuffer({ from: 'a@x.test', text: 't', messageIdDomain: 'mail.example' }));
  assert.match(other.messageId ?? '', /@mail\.example$/);
});

test('composeMessageBuffer puts text and html in multipart/alternative, text first (RFC 2046 §5.1.4)', async () => {
  const raw = await composeMessageBuffer({ ...base, text: 'plain', html: '<b>rich</b>' });
  const m = parseMessageBuffer(raw);
  assert.deepEqual(m.parts.map((p) => p.contentType), ['multipart/alternative', 'text/plain', 'text/html']);
  assert.equal(m.text, 'plain');
  assert.equal(m.html, '<b>rich</b>');
});

test('composeMessageBuffer puts inline images in multipart/related with the HTML, referenced by cid', async () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]);
  const raw = await composeMessageBuffer({
    ...base,
    text: 'see logo',
    html: '<img src="cid:logo@x.test">',
    attachments: [
      { filename: 'logo.png', content: png, disposition: 'inline', contentId: 'logo@x.test' },
      { filename: 'a.pdf', content: Buffer.from('%PDF') },
    ],
  });
  const m = parseMessageBuffer(raw);
  assert.deepEqual(
    m.parts.map((p) => `${p.path}:${p.contentType}`),
    [':multipart/mixed', '1:multipart/related', '1.1:multipart/alternative', '1.1.1:text/plain', '1.1.2:text/html', '1.2:image/png', '2:application/pdf'],
  );
  assert.equal(m.parts[1]!.params['type'], 'multipart/alternative'); // RFC 2387 §3.1
  const logo = m.attachments.find((a) => a.contentId === 'logo@x.test');
  assert.ok(logo);
  assert.equal(logo.disposition, 'inline');
  assert.deepEqual(logo.content, png);
  assert.ok(m.html?.includes(`cid:${logo.contentId}`));
});

test('composeMessageBuffer attaches a forwarded message as message/rfc822, byte for byte (RFC 2046 §5.2.1)', async () => {
  const original = Buffer.from(
    'From: Old <old@x.test>\r\nSubject: =?UTF-8?Q?alt?=\r\nContent-Type: text/plain\r\n\r\nline 1\r\n--not-a-boundary\r\n\r\n',
    'latin1',
  );
  const raw = await composeMessageBuffer({ ...base, text: 'FYI', forward: { message: original, filename: 'old.eml' } });
  const m = parseMessageBuffer(raw);
  const fwd = m.attachments.find((a) => a.contentType === 'message/rfc822');
  assert.ok(fwd);
  assert.equal(fwd.filename, 'old.eml');
  assert.ok(fwd.content.equals(original));
  assert.match(raw.toString('latin1'), /Content-Type: message\/rfc822[^]*?Content-Transfer-Encoding: 7bit/);
});

test('composeMessageBuffer refuses an 8-bit forwarded message in 7bit mode and sends it 8bit under 8BITMIME', async () => {
  const original = Buffer.from('Subject: x\r\n\r\nGrüße\r\n', 'utf8');
  await assert.rejects(composeMessageBuffer({ ...base, forward: { message: original } }), /forward\.message contains 8-bit data/);
  const raw = await composeMessageBuffer({ ...base, mode: '8bitmime', forward: { message: original } });
  assert.match(raw.toString('latin1'), /Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 8bit/);
  assert.ok(parseMessageBuffer(raw).attachments[0]!.content.equals(original));
});

test('composeMessageBuffer sends text 8bit in 8bitmime mode and headers raw in smtputf8 mode (RFC 6152, RFC 6532)', async () => {
  const eight = (await composeMessageBuffer({ ...base, mode: '8bitmime', subject: 'Grüße', text: 'Grüße' })).toString('utf8');
  assert.match(eight, /Subject: =\?UTF-8\?/);
  assert.match(eight, /Content-Transfer-Encoding: 8bit\r\n\r\nGrüße/);
  const utf8 = await composeMessageBuffer({
    ...base, mode: 'smtputf8', from: { name: 'Zoë', address: 'zoë@bücher.example' }, subject: 'Grüße', text: 'x',
    attachments: [{ filename: 'Grüße.txt', content: Buffer.from('a') }],
  });
  const s = utf8.toString('utf8');
  assert.match(s, /Subject: Grüße\r\n/);
  assert.match(s, /From: Zoë <zoë@bücher\.example>\r\n/);
  assert.match(s, /filename="Grüße\.txt"/);
  const m = parseMessageBuffer(utf8);
  assert.equal(m.from?.address, 'zoë@bücher.example');
  assert.equal(m.attachments[0]?.filename, 'Grüße.txt');
});

test('composeMessageBuffer guesses attachment types from the extension and keeps text attachment bytes exact', async () => {
  const unix = Buffer.from('a\nb\n'); // bare LF: quoted-printable would turn it into CRLF, so base64
  const dos = Buffer.from('a\r\nb\r\n');
  const raw = await composeMessageBuffer({
    ...base,
    attachments: [
      { filename: 'unix.txt', content: unix },
      { filename: 'dos.csv', content: dos },
      { filename: 'noext', content: Buffer.from([0]) },
      { filename: 'x.bin', contentType: 'Application/X-Custom; foo=bar', content: Buffer.from('z') },
    ],
  });
  const m = parseMessageBuffer(raw);
  assert.deepEqual(m.attachments.map((a) => a.contentType), ['text/plain', 'text/csv', 'application/octet-stream', 'application/x-custom']);
  assert.deepEqual(m.parts.slice(1).map((p) => p.transferEncoding), ['base64', '7bit', 'base64', 'base64']);
  assert.ok(m.attachments[0]!.content.equals(unix));
  assert.ok(m.attachments[1]!.content.equals(dos));
  assert.equal(m.parts[4]!.params['foo'], 'bar');
});

test('composeMessageBuffer writes non-ASCII file names in RFC 2231 form with the RFC 2047 name= fallback', async () => {
  const raw = await composeMessageBuffer({ ...base, attachments: [{ filename: '보고서 2026.pdf', content: Buffer.from('x') }] });
  const s = raw.toString('latin1');
  assert.match(s, /Content-Type: application\/pdf; name="=\?UTF-8\?[BQ]\?/);
  assert.match(s, /Content-Disposition: attachment;\s+filename\*(0\*)?=utf-8''/);
  assert.equal(parseMessageBuffer(raw).attachments[0]?.filename, '보고서 2026.pdf');
});

test('composeMessageBuffer reads attachments from files and fails before any byte when a file is missing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'postroom-build-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'data.bin');
  const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 255));
  await writeFile(path, bytes);
  const m = parseMessageBuffer(await composeMessageBuffer({ ...base, attachments: [{ filename: 'data.bin', content: { path } }] }));
  assert.ok(m.attachments[0]!.content.equals(bytes));
  const stream = composeMessage({ ...base, text: 'x', attachments: [{ content: { path: join(dir, 'missing.bin') } }] });
  let got = 0;
  await assert.rejects(
    (async () => {
      for await (const c of stream) got += (c as Buffer).length;
    })(),
    /ENOENT/,
  );
  assert.equal(got, 0);
});

test('composeMessage stops reading a source stream when the consumer destroys the output', async () => {
  let reads = 0;
  let closed = false;
  const src = new Readable({
    read() {
      reads++;
      this.push(Buffer.alloc(64 * 1024, 1));
    },
    destroy(err, cb) {
      closed = true;
      cb(err);
    },
  });
  const out = composeMessage({ ...base, attachments: [{ filename: 'a.bin', content: src }] });
  for await (const c of out) {
    assert.ok((c as Buffer).length > 0);
    break; // destroys `out`
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(closed, 'the source was destroyed');
  assert.ok(reads < 40, `read ${reads} chunks`);
});

test('composeMessageTo writes into a Writable, honouring backpressure', async () => {
  const chunks: Buffer[] = [];
  const out = new Writable({
    highWaterMark: 16,
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      setImmediate(cb);
    },
  });
  await composeMessageTo({ ...base, subject: 'w', text: 'hello', attachments: [{ filename: 'a.bin', content: Buffer.alloc(100_000, 7) }] }, out);
  const m = parseMessageBuffer(Buffer.concat(chunks));
  assert.equal(m.subject, 'w');
  assert.equal(m.attachments[0]?.size, 100_000);
});

test('composeMessageBuffer writes a delivery status notification as multipart/report (RFC 6522, RFC 3464)', async () => {
  const original = Buffer.from('From: ann@x.test\r\nTo: nobody@y.test\r\nSubject: lost\r\n\r\nbody\r\n');
  const raw = await composeMessageBuffer({
    from: { name: 'Mail Delivery System', address: 'MAILER-DAEMON@mx.x.test' },
    to: ['ann@x.test'],
    subject: 'Undelivered Mail Returned to Sender',
    report: {
      reportType: 'delivery-status',
      human: 'Your message could not be delivered to nobody@y.test.',
      fields: [
        [['Reporting-MTA', 'dns; mx.x.test'], ['Arrival-Date', 'Sun, 1 Mar 2026 12:00:00 +0000']],
        [['Final-Recipient', 'rfc822; nobody@y.test'], ['Action', 'failed'], ['Status', '5.1.1'], ['Diagnostic-Code', 'smtp; 550 5.1.1 User unknown']],
      ],
      original: { content: original },
    },
  });
  const m = parseMessageBuffer(raw);
  assert.equal(m.parts[0]!.contentType, 'multipart/report');
  assert.equal(m.parts[0]!.params['report-type'], 'delivery-status');
  assert.deepEqual(m.parts.filter((p) => p.parent === 0).map((p) => p.contentType), ['text/plain', 'message/delivery-status', 'message/rfc822']);
  const machine = raw.subarray(m.parts[2]!.offsets.body, m.parts[2]!.offsets.end).toString('latin1');
  assert.equal(
    machine,
    'Reporting-MTA: dns; mx.x.test\r\nArrival-Date: Sun, 1 Mar 2026 12:00:00 +0000\r\n\r\n' +
      'Final-Recipient: rfc822; nobody@y.test\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n',
  );
  assert.ok(m.attachments.find((a) => a.contentType === 'message/rfc822')?.content.equals(original));
  assert.equal(m.text, 'Your message could not be delivered to nobody@y.test.');
});

test('composeMessageBuffer writes an MDN with the original header as text/rfc822-headers (RFC 8098)', async () => {
  const original = 'Message-ID: <o@x.test>\nSubject: hi\n\nsecret body\n';
  const raw = await composeMessageBuffer({
    ...base,
    report: {
      reportType: 'disposition-notification',
      human: 'Displayed.',
      fields: 'Reporting-UA: postroom\nFinal-Recipient: rfc822; bob@y.test\nOriginal-Message-ID: <o@x.test>\nDisposition: manual-action/MDN-sent-manually; displayed',
      original: { content: Readable.from([Buffer.from(original)]), headersOnly: true },
    },
  });
  const m = parseMessageBuffer(raw);
  assert.equal(m.parts[0]!.params['report-type'], 'disposition-notification');
  assert.deepEqual(m.parts.slice(1).map((p) => p.contentType), ['text/plain', 'message/disposition-notification', 'text/rfc822-headers']);
  const headers = raw.subarray(m.parts[3]!.offsets.body, m.parts[3]!.offsets.end).toString('latin1');
  assert.equal(headers, 'Message-ID: <o@x.test>\r\nSubject: hi\r\n');
  assert.doesNotMatch(raw.toString('latin1'), /secret/);
  assert.match(raw.subarray(m.parts[2]!.offsets.body).toString('latin1'), /^Reporting-UA: postroom\r\nFinal-Recipient/);
});

test('composeMessageBuffer refuses a report combined with a body, and report fields that are not ASCII', () => {
  const report = { reportType: 'delivery-status' as const, human: 'h', fields: 'Reporting-MTA: dns; x' };
  assert.throws(() => composeMessage({ ...base, text: 't', report }), /report cannot be combined/);
  assert.throws(() => composeMessage({ ...base, report: { ...report, fields: 'Diagnostic-Code: smtp; Grüße' } }), /must be ASCII/);
});

// Header injection: every caller string that reaches a header is checked before anything is written.
const injections: [string, ComposeInput][] = [
  ['subject', { ...base, subject: 'Hi\r\nBcc: victim@z.test' }],
  ['subject (bare LF)', { ...base, subject: 'Hi\nX: y' }],
  ['subject (NUL)', { ...base, subject: 'Hi\0' }],
  ['from name', { ...base, from: { name: 'A\r\nX: y', address: 'a@x.test' } }],
  ['from address', { ...base, from: { address: 'a@x.test\r\nX: y' } }],
  ['to string', { ...base, to: ['b@y.test\r\nX: y'] }],
  ['cc name', { ...base, cc: [{ name: 'C\n', address: 'c@y.test' }] }],
  ['bcc', { ...base, bcc: ['d@y.test\r\n'] }],
  ['reply-to', { ...base, replyTo: ['r@y.test\r'] }],
  ['message id', { ...base, messageId: 'a@b\r\nX: y' }],
  ['references', { ...base, references: ['a@b', 'c@d\nX: y'] }],
  ['custom header name', { ...base, headers: [['X-A\r\nB', 'v']] }],
  ['custom header value', { ...base, headers: [['X-A', 'v\r\nBcc: z@z.test']] }],
  ['filename', { ...base, attachments: [{ filename: 'a.txt\r\nContent-Type: text/html', content: 'x' }] }],
  ['content id', { ...base, attachments: [{ contentId: 'x@y\r\n', content: 'x' }] }],
  ['content type', { ...base, attachments: [{ contentType: 'text/plain\r\nX: y', content: 'x' }] }],
  ['description', { ...base, attachments: [{ description: 'd\nX: y', content: 'x' }] }],
  ['forward filename', { ...base, forward: { message: 'S: x\r\n\r\n', filename: 'a\r\n.eml' } }],
  ['report field', { ...base, report: { reportType: 'delivery-status', human: 'h', fields: [[['Action', 'failed\r\nX: y']]] } }],
];
for (const [what, input] of injections) {
  test(`composeMessage throws before writing on CR, LF or NUL in the ${what}`, () => {
    assert.throws(() => composeMessage(input), /^Error: Cannot compose message: .*(CR|LF|NUL)/);
  });
}

test('composeMessage refuses custom headers that the composer owns', () => {
  for (const name of ['Content-Type', 'content-transfer-encoding', 'MIME-Version', 'From', 'Subject', 'Message-ID', 'Bcc', 'Date']) {
    assert.throws(() => composeMessage({ ...base, headers: [[name, 'x']] }), /is written by the composer/, name);
  }
});

test('composeMessage refuses malformed input with a message naming the field', () => {
  assert.throws(() => composeMessage({ ...base, from: 'not an address' }), /from/);
  assert.throws(() => composeMessage({ ...base, from: '' }), /from\[0\] has no address/);
  assert.throws(() => composeMessage({ ...base, to: ['b@y.test', { address: 'nope' }] }), /to\[1\]: Cannot encode address "nope"/);
  assert.throws(() => composeMessage({ ...base, date: new Date(NaN) }), /date is not a valid Date/);
  assert.throws(() => composeMessage({ ...base, attachments: [{ content: 42 as unknown as string }] }), /attachments\[0\]\.content is not/);
  assert.throws(() => composeMessage({ ...base, attachments: [{ contentType: 'multipart/mixed', content: 'x' }] }), /cannot be attached/);
  assert.throws(() => composeMessage({ ...base, boundaryPrefix: 'plain' }), /must contain "=_"/);
  assert.throws(() => composeMessage({ ...base, mode: 'binary' as '7bit' }), /unknown mode/);
});
