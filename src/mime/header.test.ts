import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { headerEnd, parseHeaderBlock } from './header.js';

test('parseHeaderBlock keeps fields raw and in order so the block round-trips byte for byte', () => {
  const block = 'Received: from a\r\n\tby b; Thu, 1 Jan 2026 00:00:00 +0000\r\nX-Dup: 1\r\nSubject :  spaced \r\nX-Dup: 2\r\n';
  const { header } = parseHeaderBlock(Buffer.from(block));
  assert.deepEqual(
    header.fields.map((f) => f.name),
    ['Received', 'X-Dup', 'Subject', 'X-Dup'],
  );
  assert.equal(header.toBuffer().toString(), block);
});

test('Header.get unfolds values (RFC 5322 §2.2.3) and trims outer whitespace', () => {
  const { header } = parseHeaderBlock(Buffer.from('Subject: a\r\n  b\r\n\tc  \r\nTo: x@y.test\n'));
  assert.equal(header.get('subject'), 'a  b\tc');
  assert.equal(header.get('SUBJECT'), 'a  b\tc');
  assert.equal(header.get('to'), 'x@y.test');
  assert.equal(header.get('cc'), undefined);
});

test('Header.getAll and getLast return repeated fields in order', () => {
  const { header } = parseHeaderBlock(Buffer.from('X-A: 1\r\nX-B: 2\r\nx-a: 3\r\n'));
  assert.deepEqual(header.getAll('x-a'), ['1', '3']);
  assert.equal(header.get('x-a'), '1');
  assert.equal(header.getLast('x-a'), '3');
  assert.ok(header.has('X-B'));
});

test('parseHeaderBlock accepts whitespace before the colon (RFC 5322 §4.5) and records lines without a colon', () => {
  const { header, problems } = parseHeaderBlock(Buffer.from('Subject\t: hi\r\nnot a field\r\n'));
  assert.equal(header.get('subject'), 'hi');
  assert.equal(header.fields.length, 2);
  assert.match(problems.join(), /without a colon/);
});

test('headerEnd finds the first empty line after CRLF or LF header lines, or null', () => {
  assert.equal(headerEnd(Buffer.from('A: 1\r\n\r\nbody')), 6);
  assert.equal(headerEnd(Buffer.from('A: 1\nB: 2\n\nbody')), 10);
  assert.equal(headerEnd(Buffer.from('\r\nbody')), 0);
  assert.equal(headerEnd(Buffer.from('A: 1\r\nB: 2')), null);
});

test('parseHeaderBlock gives field offsets in the message', () => {
  const { header } = parseHeaderBlock(Buffer.from('A: 1\r\nBB: 2\r\n'), 100);
  assert.deepEqual(
    header.fields.map((f) => [f.offset, f.valueOffset]),
    [
      [100, 102],
      [106, 109],
    ],
  );
});

test('Header values decode raw UTF-8 (RFC 6532) and recover other 8-bit bytes with the entity charset, with a problem', () => {
  const utf8 = parseHeaderBlock(Buffer.from('Subject: 日本語\r\n', 'utf8')).header;
  assert.equal(utf8.get('subject'), '日本語');
  assert.deepEqual(utf8.problems, []);
  const sjis = parseHeaderBlock(Buffer.concat([Buffer.from('Subject: '), iconv.encode('日本語のメール', 'shift_jis'), Buffer.from('\r\n')])).header;
  sjis.fallbackCharset = 'shift_jis';
  assert.equal(sjis.get('subject'), '日本語のメール');
  assert.match(sjis.problems.join(), /not UTF-8: decoded as shift_jis/);
});

test('parseHeaderBlock round-trips any block of printable fields', () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
  const value = fc.stringMatching(/^[ -~]{0,60}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value, fc.boolean()), { maxLength: 20 }), (list) => {
      const block = list.map(([n, v, fold]) => `${n}: ${v}${fold ? '\r\n\tmore' : ''}\r\n`).join('');
      const { header } = parseHeaderBlock(Buffer.from(block, 'latin1'));
      assert.equal(header.toBuffer().toString('latin1'), block);
      assert.equal(header.fields.length, list.length);
    }),
  );
});
