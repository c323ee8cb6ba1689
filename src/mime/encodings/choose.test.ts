import test from 'node:test';
import assert from 'node:assert/strict';
import { chooseTransferEncoding, parseTransferEncoding } from './choose.js';

const latin = 'Grüße aus Köln, wir sehen uns bald!\r\n'; // 6 of 40 bytes need escaping (15%)

test('chooseTransferEncoding picks per RFC 2045 §6 and RFC 6152 for each kind of sample', () => {
  type Want = ReturnType<typeof chooseTransferEncoding>;
  const cases: [string, Buffer, boolean, '7bit' | '8bit', Want][] = [
    ['empty', Buffer.alloc(0), true, '7bit', '7bit'],
    ['ASCII text with CRLF', Buffer.from('Hello\r\nworld\r\n'), true, '7bit', '7bit'],
    ['ASCII without a final break', Buffer.from('Hello'), true, '7bit', '7bit'],
    ['ASCII non-text', Buffer.from('a,b\r\n1,2\r\n'), false, '7bit', '7bit'],
    ['ASCII with bare LF', Buffer.from('Hello\nworld\n'), true, '7bit', 'quoted-printable'],
    ['ASCII with bare CR', Buffer.from('Hello\rworld'), true, '7bit', 'quoted-printable'],
    ['ASCII with a 999-octet line', Buffer.from(`${'x'.repeat(999)}\r\n`), true, '7bit', 'quoted-printable'],
    ['ASCII with a 998-octet line', Buffer.from(`${'x'.repeat(998)}\r\n`), true, '7bit', '7bit'],
    ['ASCII with NUL', Buffer.from('a\x00 is a NUL byte\r\n'), true, '8bit', 'quoted-printable'],
    ['some 8-bit text', Buffer.from(latin), true, '7bit', 'quoted-printable'],
    ['some 8-bit text, 8BITMIME', Buffer.from(latin), true, '8bit', '8bit'],
    ['mostly 8-bit text', Buffer.from('Привет, как дела?\r\n'), true, '7bit', 'base64'],
    ['mostly 8-bit text, 8BITMIME', Buffer.from('Привет, как дела?\r\n'), true, '8bit', '8bit'],
    ['8-bit text with bare LF, 8BITMIME', Buffer.from('Grüße aus Köln, wir sehen uns bald!\n'), true, '8bit', 'quoted-printable'],
    ['8-bit text with long line, 8BITMIME', Buffer.from(`${'é'.repeat(600)}\r\n`), true, '8bit', 'base64'],
    ['binary', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), false, '7bit', 'base64'],
    ['binary, 8BITMIME', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), false, '8bit', 'base64'],
    ['8-bit non-text', Buffer.from(latin), false, '8bit', 'base64'],
  ];
  for (const [name, sample, text, mode, want] of cases) {
    assert.equal(chooseTransferEncoding(sample, { text, mode }), want, name);
  }
});

test('chooseTransferEncoding switches from quoted-printable to base64 above a sixth of escaped bytes', () => {
  const sample = (escaped: number) => Buffer.concat([Buffer.alloc(escaped, 0xe9), Buffer.alloc(600 - escaped, 0x61)]);
  assert.equal(chooseTransferEncoding(sample(100), { text: true }), 'quoted-printable');
  assert.equal(chooseTransferEncoding(sample(101), { text: true }), 'base64');
  const withEq = (eqs: number) => Buffer.concat([Buffer.alloc(eqs, 0x3d), Buffer.alloc(50, 0xe9), Buffer.alloc(550 - eqs, 0x61)]);
  assert.equal(chooseTransferEncoding(withEq(50), { text: true }), 'quoted-printable');
  assert.equal(chooseTransferEncoding(withEq(51), { text: true }), 'base64');
});

test('chooseTransferEncoding runs its TSDoc example', () => {
  assert.equal(chooseTransferEncoding(Buffer.from('Hello\r\n'), { text: true }), '7bit');
  assert.equal(chooseTransferEncoding(Buffer.from('Grüße aus Köln, wir sehen uns bald!\r\n'), { text: true }), 'quoted-printable');
  assert.equal(chooseTransferEncoding(Buffer.from('Grüße\r\n'), { text: true, mode: '8bit' }), '8bit');
  assert.equal(chooseTransferEncoding(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]), { text: false }), 'base64');
});

test('parseTransferEncoding normalizes RFC 2045 §6.1 values and returns null for unknown ones', () => {
  const cases: [string | undefined | null, ReturnType<typeof parseTransferEncoding>][] = [
    ['7bit', '7bit'],
    ['8BIT', '8bit'],
    ['Binary', 'binary'],
    [' Quoted-Printable (ok) ', 'quoted-printable'],
    ['base64', 'base64'],
    ['\tBASE64\r\n ', 'base64'],
    ['(comment (nested \\) paren)) base64', 'base64'],
    ['"base64"', 'base64'],
    ['x-uuencode', null],
    ['x-token', null],
    ['base-64', null],
    ['quoted-printable; charset=utf-8', null],
    ['', null],
    [undefined, null],
    [null, null],
  ];
  for (const [input, want] of cases) assert.equal(parseTransferEncoding(input), want, JSON.stringify(input));
});
