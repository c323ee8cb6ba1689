import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { downgradeTo7bit, type DowngradeOptions } from './downgrade.js';
import { parseMessageBuffer, parts, encodeText } from './index.js';

/** Runs the conversion over `msg` cut into chunks of `chunk` bytes. */
async function downgrade(msg: Buffer | string, opts?: DowngradeOptions, chunk = 4096): Promise<Buffer> {
  const bytes = Buffer.isBuffer(msg) ? msg : Buffer.from(msg, 'utf8');
  const src: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) src.push(bytes.subarray(i, i + chunk));
  const out: Buffer[] = [];
  for await (const c of downgradeTo7bit(src, opts)) out.push(c);
  return Buffer.concat(out);
}

/** RFC 2045 §2.7: octets < 128, no NUL, CR and LF only as CRLF, lines ≤ 998 octets. */
function assertSevenBit(out: Buffer): void {
  let lineStart = 0;
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    assert.ok(b < 0x80 && b !== 0, `octet 0x${b.toString(16)} at ${i}`);
    if (b === 0x0d) assert.equal(out[i + 1], 0x0a, `bare CR at ${i}`);
    if (b === 0x0a) {
      assert.equal(out[i - 1], 0x0d, `bare LF at ${i}`);
      assert.ok(i - 1 - lineStart <= 998, `line of ${i - 1 - lineStart} octets at ${lineStart}`);
      lineStart = i + 1;
    }
  }
  assert.ok(out.length - lineStart <= 998);
}

interface Leaf {
  path: string;
  mime: string;
  charset: string | undefined;
  cte: string;
  sha: string;
  bytes: Buffer;
}

/** Every leaf with its body decoded by the library's streaming parser. */
async function leaves(msg: Buffer): Promise<Leaf[]> {
  const out: Leaf[] = [];
  for await (const p of parts([msg])) {
    const chunks: Buffer[] = [];
    for await (const c of p.body) chunks.push(c as Buffer);
    if (p.node.kind !== 'leaf') continue;
    const bytes = Buffer.concat(chunks);
    const sha = createHash('sha256').update(bytes).digest('hex');
    out.push({ path: p.node.path, mime: p.node.type.mime, charset: p.charset, cte: p.transferEncoding, sha, bytes });
  }
  return out;
}

const utf8Text = 'Grüße aus Köln — «ça va?» 日本語 🎉\r\n.leading dot\r\nFrom the start\r\n' + 'é'.repeat(700) + '\r\n';
const textMessage =
  'From: Joerg <j@x.test>\r\nTo: b@y.test\r\nSubject: plain subject\r\nMIME-Version: 1.0\r\n' +
  'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
  utf8Text;

test('downgradeTo7bit re-encodes an 8-bit UTF-8 text/plain message as quoted-printable that decodes to the same text', async () => {
  const out = await downgrade(textMessage);
  assertSevenBit(out);
  const m = parseMessageBuffer(out);
  assert.equal(m.text, utf8Text);
  assert.equal(m.header.get('content-transfer-encoding'), 'quoted-printable');
  assert.equal(m.header.get('content-type'), 'text/plain; charset=utf-8');
  const before = parseMessageBuffer(textMessage).header.fields.filter((f) => f.key !== 'content-transfer-encoding');
  const after = m.header.fields.filter((f) => f.key !== 'content-transfer-encoding');
  assert.deepEqual(
    after.map((f) => f.raw.toString('latin1')),
    before.map((f) => f.raw.toString('latin1')),
    'every other header field is unchanged, in order',
  );
});

const binary = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 151 + (i >> 3)) & 0xff));
const sevenBitPart = 'Content-Type: text/plain; charset=us-ascii\r\nContent-Disposition: inline\r\n\r\nJust ASCII.\r\nSecond line.';
const mixed = Buffer.concat([
  Buffer.from(
    'From: a@x.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=_outer"\r\n\r\n' +
      'This is a multi-part message in MIME format.\r\n--=_outer\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nFür dich: naïve café\r\n' +
      '--=_outer\r\nContent-Type: application/octet-stream; name="blob.bin"\r\nContent-Disposition: attachment; filename="blob.bin"\r\n' +
      'Content-Transfer-Encoding: binary\r\n\r\n',
  ),
  binary,
  Buffer.from(`\r\n--=_outer\r\n${sevenBitPart}\r\n--=_outer--\r\n`),
]);

test('downgradeTo7bit converts the 8bit and binary parts of a multipart/mixed and keeps the 7bit part byte-identical', async () => {
  const out = await downgrade(mixed);
  assertSevenBit(out);
  const got = await leaves(out);
  assert.deepEqual(
    got.map((l) => [l.path, l.mime, l.cte]),
    [
      ['1', 'text/plain', 'quoted-printable'],
      ['2', 'application/octet-stream', 'base64'],
      ['3', 'text/plain', '7bit'],
    ],
  );
  assert.equal(got[0]!.bytes.toString('utf8'), 'Für dich: naïve café', 'the CRLF before a delimiter is the delimiter\'s');
  assert.ok(got[1]!.bytes.equals(binary), 'the binary attachment decodes to the same bytes');
  // The 7bit entity (header, blank line, body) and the delimiters around it are byte for byte the input's.
  assert.ok(out.includes(Buffer.from(`\r\n--=_outer\r\n${sevenBitPart}\r\n--=_outer--\r\n`)));
  assert.ok(out.subarray(0, 120).equals(mixed.subarray(0, 120)), 'the top-level header and preamble are unchanged');
  const m = parseMessageBuffer(out);
  assert.equal(m.attachments[0]?.filename, 'blob.bin');
  assert.deepEqual(m.problems, []);
});

const html = '<p>Ünïcödé <b>HTML</b> — 한국어</p>\r\n';
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), binary.subarray(0, 300)]);
const nested = Buffer.concat([
  Buffer.from(
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\n' +
      'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n--inner\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÜnïcödé text\r\n' +
      `--inner\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}\r\n--inner--\r\n` +
      '\r\n--outer\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: binary\r\n\r\n',
  ),
  png,
  Buffer.from('\r\n--outer--\r\n'),
]);

test('downgradeTo7bit converts the parts of a nested multipart/alternative and keeps the structure', async () => {
  const out = await downgrade(nested);
  assertSevenBit(out);
  const got = await leaves(out);
  assert.deepEqual(
    got.map((l) => [l.path, l.mime, l.cte]),
    [
      ['1.1', 'text/plain', 'quoted-printable'],
      ['1.2', 'text/html', 'quoted-printable'],
      ['2', 'image/png', 'base64'],
    ],
  );
  assert.equal(got[0]!.bytes.toString('utf8'), 'Ünïcödé text');
  assert.equal(got[1]!.bytes.toString('utf8'), html);
  assert.ok(got[2]!.bytes.equals(png));
  const m = parseMessageBuffer(out);
  assert.deepEqual(
    m.parts.map((p) => [p.path, p.kind, p.contentType]),
    parseMessageBuffer(nested).parts.map((p) => [p.path, p.kind, p.contentType]),
  );
  assert.equal(m.html, html);
});

const innerText = 'Weitergeleitet: Größe ≥ 3 m²\r\n';
const rfc822 =
  'From: a@x.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nsee attached\r\n' +
  '--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
  'From: c@z.test\r\nSubject: Weitergeleitet\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Content-Transfer-Encoding: 8bit\r\n\r\n${innerText}\r\n--b--\r\n`;

test('downgradeTo7bit converts the 8-bit message inside message/rfc822 and declares the message/rfc822 part 7bit', async () => {
  const out = await downgrade(rfc822);
  assertSevenBit(out);
  const m = parseMessageBuffer(out);
  const msgPart = m.parts.find((p) => p.contentType === 'message/rfc822')!;
  assert.equal(msgPart.kind, 'message');
  assert.equal(msgPart.header.get('content-transfer-encoding'), '7bit');
  const inner = m.parts.find((p) => p.path === '2' && p.kind === 'leaf')!;
  assert.equal(inner.header.get('content-transfer-encoding'), 'quoted-printable');
  assert.equal(inner.header.get('subject'), 'Weitergeleitet');
  const got = await leaves(out);
  assert.equal(got.find((l) => l.path === '2')!.bytes.toString('utf8'), innerText);
});

const sevenBitMessages: [string, string][] = [
  ['a plain message', 'From: a@x.test\r\nSubject: hi\r\n\r\nHello,\r\nworld.\r\n'],
  [
    'a multipart with quoted-printable, base64, preamble and epilogue',
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="xyz"\r\n\r\npreamble\r\n--xyz\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nsoft\r\n' +
      '--xyz   \r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n' +
      '--xyz\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--xyz--\r\nepilogue\r\n',
  ],
  ['an empty body', 'Subject: x\r\n\r\n'],
  ['a header only, without a blank line', 'Subject: x\r\nX-A: y\r\n'],
  ['a 7bit part ended by a delimiter right after its header', 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-A: 1\r\n--b--\r\n'],
  ['a subject with an encoded word', 'Subject: =?UTF-8?Q?caf=C3=A9?=\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\nx\r\n'],
];

for (const [name, msg] of sevenBitMessages) {
  test(`downgradeTo7bit passes ${name} through byte-identical`, async () => {
    for (const chunk of [1, 3, 4096]) {
      const out = await downgrade(msg, undefined, chunk);
      assert.equal(out.toString('latin1'), msg, `chunks of ${chunk}`);
    }
  });
}

const korean = '안녕하세요, 회의 자료를 첨부합니다.\r\n다음 주 화요일 - 확인 부탁드립니다.\r\n';
const eucKr = Buffer.concat([
  Buffer.from(
    'From: kim@example.kr\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset="euc-kr"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
  ),
  encodeText(korean, 'euc-kr'),
]);

test('downgradeTo7bit round-trips an EUC-KR 8bit text part and keeps its charset label', async () => {
  const out = await downgrade(eucKr);
  assertSevenBit(out);
  const m = parseMessageBuffer(out);
  assert.equal(m.header.get('content-type'), 'text/plain; charset="euc-kr"');
  assert.equal(m.header.get('content-transfer-encoding'), 'quoted-printable');
  assert.equal(m.text, korean);
  assert.ok((await leaves(out))[0]!.bytes.equals(encodeText(korean, 'euc-kr')));
});

test('downgradeTo7bit gives the same output for any split of the input into chunks', async () => {
  for (const msg of [Buffer.from(textMessage), mixed, nested, Buffer.from(rfc822), eucKr]) {
    const whole = await downgrade(msg, undefined, msg.length);
    for (const chunk of [1, 2, 7, 64, 1000]) {
      assert.ok((await downgrade(msg, undefined, chunk)).equals(whole), `chunks of ${chunk}`);
    }
    for (const lookAhead of [0, 5, 100]) {
      const out = await downgrade(msg, { lookAhead }, 3);
      assertSevenBit(out);
      assert.deepEqual(
        (await leaves(out)).map((l) => [l.path, l.sha]),
        (await leaves(whole)).map((l) => [l.path, l.sha]),
        `lookAhead ${lookAhead}`,
      );
    }
  }
});
