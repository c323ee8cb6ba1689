import test from 'node:test';
import assert from 'node:assert/strict';
import { downgradeTo7bit, DowngradeError, type DowngradeOptions } from './downgrade.js';
import { LineCheck, RawQueue } from './downgrade-scan.js';
import { decodeBase64, parseMessageBuffer } from './index.js';

async function downgrade(msg: Buffer | string, opts?: DowngradeOptions, chunk = 4096): Promise<string> {
  const bytes = Buffer.isBuffer(msg) ? msg : Buffer.from(msg, 'utf8');
  const src: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) src.push(bytes.subarray(i, i + chunk));
  const out: Buffer[] = [];
  for await (const c of downgradeTo7bit(src, opts)) out.push(c);
  return Buffer.concat(out).toString('latin1');
}

const isSevenBit = (s: string) => /^[\x01-\x7f]*$/.test(s) && !/\r(?!\n)|(?<!\r)\n/.test(s);
const mime = (head: string, body: string) => `MIME-Version: 1.0\r\n${head}\r\n\r\n${body}`;

test('downgradeTo7bit example: an 8bit UTF-8 text body becomes quoted-printable', async () => {
  const msg = 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncafé\r\n';
  const out: Buffer[] = [];
  for await (const chunk of downgradeTo7bit([Buffer.from(msg)])) out.push(chunk);
  assert.equal(
    Buffer.concat(out).toString(),
    'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n',
  );
});

test('DowngradeOptions example: lookAhead and limits are accepted', async () => {
  const opts: DowngradeOptions = { lookAhead: 16 * 1024, limits: { maxDepth: 20 } };
  assert.equal(await downgrade('Subject: x\r\n\r\nhi\r\n', opts), 'Subject: x\r\n\r\nhi\r\n');
});

test('DowngradeError example: carries the part and its name', () => {
  const err = new DowngradeError('2', 'Cannot convert part 2 to 7-bit: an 8-bit octet');
  assert.ok(err instanceof Error);
  assert.equal(err.part, '2');
  assert.equal(err.name, 'DowngradeError');
});

test('RawQueue example: take returns views of a range and drops what lies before its end', () => {
  const q = new RawQueue();
  q.push(Buffer.from('abc'));
  q.push(Buffer.from('def'));
  assert.equal(Buffer.concat(q.take(1, 4)).toString(), 'bcd');
  assert.equal(Buffer.concat(q.take(4, 6)).toString(), 'ef');
  assert.equal(q.length, 6);
  assert.equal(q.last, 'f'.charCodeAt(0));
});

const lineCases: [string[], string | null][] = [
  [['ok\r\n', 'fine'], null],
  [['ok\r', '\nbare\nLF'], 'a bare LF'],
  [['a\rb'], 'a bare CR'],
  [['a\r'], 'a bare CR'], // at the end of the body
  [['\n'], 'a bare LF'],
  [['caf\u00e9'], 'an 8-bit octet'],
  [['a\u0000b'], 'a NUL octet'],
  [['x'.repeat(998) + '\r\n'], null],
  [['x'.repeat(500), 'x'.repeat(498), '\r', '\n'], null],
  [['x'.repeat(500), 'x'.repeat(499)], 'a line longer than 998 octets'],
];

for (const [chunks, want] of lineCases) {
  test(`LineCheck flags ${JSON.stringify(chunks.join('').slice(0, 24))} as ${want ?? 'clean'}`, () => {
    const check = new LineCheck();
    for (const c of chunks) check.scan(Buffer.from(c, 'latin1'));
    check.finish();
    assert.equal(check.problem, want);
  });
}

test('downgradeTo7bit only relabels a declared 8bit body that turns out 7-bit clean within the window', async () => {
  const out = await downgrade(mime('Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit', 'plain ASCII\r\n'));
  assert.equal(out, mime('Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit', 'plain ASCII\r\n'));
});

test('downgradeTo7bit re-encodes a declared binary body that is clean only as far as the window reaches', async () => {
  const out = await downgrade(mime('Content-Type: application/x-thing\r\nContent-Transfer-Encoding: binary', 'abcdef'), { lookAhead: 3 });
  assert.equal(out, mime('Content-Type: application/x-thing\r\nContent-Transfer-Encoding: base64', 'YWJjZGVm\r\n'));
});

test('downgradeTo7bit re-encodes a body declared 7bit (or undeclared) whose window has 8-bit octets or bare line ends', async () => {
  const latin1 = mime('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 7bit', 'caf\u00e9\r\n');
  const out = await downgrade(Buffer.from(latin1, 'latin1'));
  assert.equal(out, mime('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable', 'caf=E9\r\n'));
  const bare = await downgrade(mime('Content-Type: image/gif', 'GIF89a\n\0'));
  assert.equal(bare, mime('Content-Type: image/gif\r\nContent-Transfer-Encoding: base64', 'R0lGODlhCgA=\r\n'));
});

test('downgradeTo7bit throws DowngradeError when a body passed through as 7bit shows 8-bit octets past the window', async () => {
  const msg = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n' + 'a'.repeat(40) + '\u00e9\r\n--b--\r\n';
  await assert.rejects(downgrade(msg, { lookAhead: 16 }, 8), (err: unknown) => {
    assert.ok(err instanceof DowngradeError);
    assert.equal(err.part, '1');
    assert.match(err.message, /^Cannot convert part 1 \(text\/plain\) to 7-bit: an 8-bit octet after the first 16 bytes/);
    return true;
  });
  assert.ok(isSevenBit(await downgrade(msg, { lookAhead: 64 }, 8)), 'a larger window sees it and converts');
});

test('downgradeTo7bit decodes and re-encodes a quoted-printable or base64 body that carries raw 8-bit octets or long lines', async () => {
  const raw = mime('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable', 'caf=C3=A9 und Gr\u00c3\u00bc\u00c3\u009fe\r\n');
  const qp = await downgrade(Buffer.from(raw, 'latin1'));
  assert.ok(isSevenBit(qp));
  assert.equal(parseMessageBuffer(Buffer.from(qp, 'latin1')).text, 'café und Grüße\r\n');
  const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
  const b64 = await downgrade(mime('Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64', data.toString('base64') + '\r\n'));
  assert.ok(isSevenBit(b64) && b64.split('\r\n').every((l) => l.length <= 76));
  assert.ok(decodeBase64(b64.slice(b64.indexOf('\r\n\r\n') + 4)).bytes.equals(data));
});

test('downgradeTo7bit refuses 8-bit content under an unknown transfer encoding, and passes a clean one', async () => {
  const clean = mime('Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode', 'begin 644 a\r\n`\r\nend\r\n');
  assert.equal(await downgrade(clean), clean);
  await assert.rejects(
    downgrade(mime('Content-Type: text/plain\r\nContent-Transfer-Encoding: x-custom', 'caf\u00e9\r\n')),
    /^DowngradeError: Cannot convert the message body \(text\/plain\) to 7-bit: an 8-bit octet, and Content-Transfer-Encoding "x-custom" is unknown$/,
  );
});

test('downgradeTo7bit relabels 8bit multipart and message/rfc822 entities 7bit', async () => {
  const msg = mime(
    'Content-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: 8bit',
    '--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: binary\r\n\r\nSubject: in\r\n\r\nascii\r\n--b--\r\n',
  );
  assert.equal(await downgrade(msg), msg.replace('8bit', '7bit').replace('binary', '7bit'));
});

test('downgradeTo7bit refuses a multipart without a boundary whose body has 8-bit octets', async () => {
  await assert.rejects(downgrade(mime('Content-Type: multipart/mixed', 'caf\u00e9\r\n')), (err: unknown) => {
    assert.ok(err instanceof DowngradeError);
    assert.match(err.message, /it may not be encoded$/);
    return true;
  });
});

test('downgradeTo7bit base64-encodes a message/global declared 8bit whole (RFC 6532 §3.5)', async () => {
  const inner = 'Subject: Grüße\r\nFrom: jörg@例え.jp\r\n\r\nHallo\r\n';
  const msg = mime('Content-Type: multipart/mixed; boundary=b', `--b\r\nContent-Type: message/global\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${inner}\r\n--b--\r\n`);
  const out = await downgrade(msg, undefined, 5);
  assert.ok(isSevenBit(out));
  const m = parseMessageBuffer(Buffer.from(out, 'latin1'));
  const part = m.parts.find((p) => p.contentType === 'message/global')!;
  assert.equal(part.transferEncoding, 'base64');
  assert.equal(m.attachments[0]!.content.toString('utf8'), inner);
});

test('downgradeTo7bit turns 8-bit octets of a preamble and an epilogue into "?" and leaves delimiter lines alone', async () => {
  const msg = mime('Content-Type: multipart/mixed; boundary=b', 'Préambule\r\n--b\r\n\r\nx\r\n--b-- trailing ü\r\nÉpilogue\r\n');
  assert.equal(await downgrade(msg, undefined, 3), mime('Content-Type: multipart/mixed; boundary=b', 'Pr??ambule\r\n--b\r\n\r\nx\r\n--b-- trailing ü\r\n??pilogue\r\n').replace('ü', '\u00c3\u00bc'));
});

test('downgradeTo7bit encodes Subject, Comments and Content-Description with raw UTF-8 as RFC 2047 words', async () => {
  const msg = 'Subject: Grüße aus Köln\r\nComments: naïve\r\nX-Other: ünchanged\r\nContent-Description: Ünïcödé\r\n\r\nbody\r\n';
  const out = await downgrade(msg);
  const m = parseMessageBuffer(Buffer.from(out, 'latin1'));
  assert.equal(m.subject, 'Grüße aus Köln');
  assert.match(out, /^Subject: =\?UTF-8\?[QB]\?[^?]+\?= aus =\?UTF-8\?[QB]\?[^?]+\?=\r\nComments: =\?UTF-8\?/);
  assert.equal(m.header.get('content-description'), '=?UTF-8?B?w5xuw69jw7Zkw6k=?=');
  assert.ok(out.includes('X-Other: \u00c3\u00bcnchanged\r\n'), 'other fields keep their raw octets (a documented limit)');
  assert.ok(out.endsWith('\r\n\r\nbody\r\n'));
});

test('downgradeTo7bit leaves unstructured fields that are not UTF-8 or already hold encoded words as they are', async () => {
  const msg = 'Subject: caf\u00e9 latin-1\r\nComments: =?UTF-8?Q?x?= \u00c3\u00a9\r\n\r\nbody\r\n';
  assert.equal(await downgrade(Buffer.from(msg, 'latin1')), msg);
});

test('downgradeTo7bit makes a converted non-MIME 8-bit message MIME, its charset labelled unknown-8bit (RFC 1428)', async () => {
  const out = await downgrade('Subject: x\r\n\r\nnon-MIME ü body\r\n');
  assert.equal(
    out,
    'Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=unknown-8bit\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nnon-MIME =C3=BC body\r\n',
  );
});

test('downgradeTo7bit gives a rewritten header a blank line when it had none', async () => {
  const msg = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: 8bit\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\nüber\r\n--b--\r\n';
  const out = await downgrade(msg);
  assert.equal(
    out,
    'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\r\n--b\r\n' +
      'Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=BCber\r\n--b--\r\n',
  );
});

test('downgradeTo7bit rejects a lookAhead that is not an integer ≥ 0 with a RangeError', async () => {
  await assert.rejects(downgrade('x', { lookAhead: -1 }), RangeError);
  await assert.rejects(downgrade('x', { lookAhead: 1.5 }), /^RangeError: Cannot downgrade to 7-bit: lookAhead 1.5 is not an integer ≥ 0$/);
});

test('downgradeTo7bit refuses 8-bit content that a tokenizer limit left as opaque data, and passes clean opaque data', async () => {
  const many = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b\r\nContent-Type: text/plain\r\n\r\nthree\r\n--b--\r\n';
  assert.equal(await downgrade(many, { limits: { maxParts: 2 } }), many);
  await assert.rejects(downgrade(many.replace('three', 'thrée'), { limits: { maxParts: 2 } }), /^DowngradeError: Cannot convert part 2 \(application\/octet-stream\)/);
  const deep = 'Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nü\r\n--a--\r\n';
  await assert.rejects(downgrade(deep, { limits: { maxDepth: 1 } }), /^DowngradeError: Cannot convert part 1 \(message\/rfc822\) to 7-bit: an 8-bit octet, and it may not be encoded$/);
  assert.ok(isSevenBit(await downgrade(deep)), 'within the limits the inner message is converted');
});
