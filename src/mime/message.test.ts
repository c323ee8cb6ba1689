import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { parseMessage, parseMessageBuffer } from './message.js';

const korean = Buffer.concat([
  Buffer.from(
    [
      'From: =?ks_c_5601-1987?B?' + iconv.encode('김철수', 'cp949').toString('base64') + '?= <kim@example.kr>',
      'To: "Lee, Young" <lee@example.kr>, park@example.kr',
      'Cc: undisclosed-recipients:;',
      'Subject: =?UTF-8?B?' + Buffer.from('회의 안내').toString('base64') + '?=',
      'Date: Thu, 26 Nov 2026 20:50:41 +0900',
      'Message-ID: <abc@example.kr>',
      'In-Reply-To: <prev@example.kr>',
      'References: <first@example.kr> <prev@example.kr>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="==mix=="',
      '',
      '--==mix==',
      'Content-Type: multipart/alternative; boundary="==alt=="',
      '',
      '--==alt==',
      'Content-Type: text/plain; charset="euc-kr"',
      'Content-Transfer-Encoding: 8bit',
      '',
      '',
    ].join('\r\n'),
    'latin1',
  ),
  iconv.encode('똠방각하 뷁\r\n', 'cp949'),
  Buffer.from(
    [
      '--==alt==',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('<p>똠방각하</p>').toString('base64'),
      '--==alt==--',
      '--==mix==',
      'Content-Type: application/pdf; name="=?EUC-KR?B?' + iconv.encode('보고서.pdf', 'euc-kr').toString('base64') + '?="',
      'Content-Disposition: attachment; filename="=?EUC-KR?B?' + iconv.encode('보고서.pdf', 'euc-kr').toString('base64') + '?="',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 fake').toString('base64'),
      '--==mix==--',
      '',
    ].join('\r\n'),
    'latin1',
  ),
]);

test('parseMessageBuffer reads addresses, subject, date and ids of a Korean message', () => {
  const m = parseMessageBuffer(korean);
  assert.deepEqual(m.from, { name: '김철수', address: 'kim@example.kr' });
  assert.deepEqual(
    m.to.map((a) => a.address),
    ['lee@example.kr', 'park@example.kr'],
  );
  assert.equal(m.to[0]!.name, 'Lee, Young');
  assert.deepEqual(m.cc, []);
  assert.equal(m.subject, '회의 안내');
  assert.equal(m.date?.toISOString(), '2026-11-26T11:50:41.000Z');
  assert.equal(m.messageId, 'abc@example.kr');
  assert.deepEqual(m.inReplyTo, ['prev@example.kr']);
  assert.deepEqual(m.references, ['first@example.kr', 'prev@example.kr']);
});

test('parseMessageBuffer decodes euc-kr text as CP949 and picks text, HTML and the attachment', () => {
  const m = parseMessageBuffer(korean);
  assert.equal(m.text, '똠방각하 뷁'); // the last line break belongs to the delimiter (RFC 2046 §5.1.1)
  assert.equal(m.html, '<p>똠방각하</p>');
  assert.equal(m.attachments.length, 1);
  const a = m.attachments[0]!;
  assert.equal(a.filename, '보고서.pdf');
  assert.equal(a.contentType, 'application/pdf');
  assert.equal(a.content.toString(), '%PDF-1.4 fake');
  assert.equal(a.size, 13);
  assert.equal(a.part, '2');
});

test('parseMessageBuffer indexes every part with offsets that slice the raw message', () => {
  const m = parseMessageBuffer(korean);
  assert.deepEqual(
    m.parts.map((p) => [p.path, p.contentType]),
    [
      ['', 'multipart/mixed'],
      ['1', 'multipart/alternative'],
      ['1.1', 'text/plain'],
      ['1.2', 'text/html'],
      ['2', 'application/pdf'],
    ],
  );
  const pdf = m.parts[4]!;
  assert.equal(m.raw.toString('latin1', pdf.offsets.body, pdf.offsets.end), Buffer.from('%PDF-1.4 fake').toString('base64'));
  assert.match(m.raw.toString('latin1', pdf.offsets.header, pdf.offsets.body), /^Content-Type: application\/pdf;/);
});

test('parseMessage reads a stream the same as a buffer', async () => {
  const chunks = [];
  for (let i = 0; i < korean.length; i += 7) chunks.push(korean.subarray(i, i + 7));
  const a = await parseMessage(Readable.from(chunks));
  const b = parseMessageBuffer(korean);
  assert.equal(a.text, b.text);
  assert.equal(a.subject, b.subject);
  assert.deepEqual(a.attachments[0]!.content, b.attachments[0]!.content);
});

test('parseMessageBuffer keeps a forwarded message/rfc822 byte-exact as an attachment', () => {
  const inner = 'Subject: inner\r\nFrom: x@y.test\r\n\r\ninner body\r\n';
  const raw = `Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nsee below\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n${inner}--b--\r\n`;
  const m = parseMessageBuffer(raw);
  assert.equal(m.text, 'see below');
  assert.equal(m.attachments.length, 1);
  assert.equal(m.attachments[0]!.contentType, 'message/rfc822');
  assert.equal(m.attachments[0]!.content.toString(), inner.slice(0, -2));
});

test('parseMessageBuffer never throws on garbage and reports problems', () => {
  const garbage = Buffer.alloc(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) & 0xff;
  const m = parseMessageBuffer(garbage);
  assert.ok(m.problems.length > 0);
  assert.ok(m.parts.length >= 1);
});

test('parseMessageBuffer decodes raw UTF-8 in headers (RFC 6532) and falls back to the message charset', () => {
  const utf8 = parseMessageBuffer(Buffer.from('Subject: 안녕 세계\r\nFrom: 홍길동 <hong@example.kr>\r\n\r\nx', 'utf8'));
  assert.equal(utf8.subject, '안녕 세계');
  assert.equal(utf8.from?.name, '홍길동');
  const euc = parseMessageBuffer(
    Buffer.concat([Buffer.from('Subject: '), iconv.encode('안녕', 'euc-kr'), Buffer.from('\r\nContent-Type: text/plain; charset=euc-kr\r\n\r\nx')]),
  );
  assert.equal(euc.subject, '안녕');
});
