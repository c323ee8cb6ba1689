import test from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { createTextDecoder } from './stream.js';
import { decodeText } from './decode.js';

const JIS = (s: string): Buffer => Buffer.from(s, 'latin1');

// [name, label, bytes]: every sample has multi-byte sequences that a split can cut.
const SAMPLES: readonly [string, string | undefined, Buffer][] = [
  ['UTF-8 with a BOM and 2/3/4-byte sequences', 'utf-8', Buffer.from('\ufeffé€😀 a𝄞b ü')],
  ['invalid UTF-8', 'utf-8', Buffer.from([0x41, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98, 0xc3, 0xa9, 0xff, 0xe0, 0x80])],
  ['CP949 syllables 똠 똡 뷁 햏 안녕하세요', 'ks_c_5601-1987', iconv.encode('똠 똡 뷁 햏 안녕하세요', 'cp949')],
  ['Shift_JIS', 'shift_jis', iconv.encode('日本語のﾃｷｽﾄ①です', 'shift_jis')],
  ['EUC-JP with JIS X 0212', 'euc-jp', Buffer.concat([iconv.encode('日本語', 'euc-jp'), Buffer.from([0x8f, 0xb0, 0xa1])])],
  ['GB18030 with 4-byte sequences', 'gb18030', iconv.encode('中文😀ḿ文', 'gb18030')],
  ['Big5-HKSCS', 'big5', Buffer.concat([iconv.encode('繁體', 'big5'), Buffer.from([0x88, 0x62])])],
  ['ISO-2022-JP', 'iso-2022-jp', JIS('\x1b$BF|K\\8l\x1b(B abc \x1b(J\\\x1b(B\r\n\x1b$(D0!\x1b(B')],
  ['ISO-2022-KR', 'iso-2022-kr', JIS('\x1b$)C\x0e>H3g\x0f \x0eGQ19>n\x0f!\r\nx')],
  ['UTF-16 with a BOM and a surrogate pair', 'utf-16', iconv.encode('a😀b', 'utf-16')],
  ['UTF-16BE', 'utf-16be', iconv.encode('текст😀', 'utf-16be')],
  ['UTF-7', 'utf-7', iconv.encode('Hi ☺ 日本 +-', 'utf-7')],
  ['UTF-32 with a BOM', 'utf-32', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), iconv.encode('a😀', 'utf-32le')])],
  ['UTF-8 under us-ascii', 'us-ascii', Buffer.from('Grüße 日本')],
  ['windows-1252 without a label', undefined, iconv.encode('Café “quoted”', 'windows-1252')],
  ['CP949 under an unknown label', 'x-foo', iconv.encode('안녕하세요 한국어', 'cp949')],
  ['ISO-2022-JP without a label', undefined, JIS('ab\x1b$BF|K\\\x1b(Bcd')],
  ['UTF-8 under windows-1252', 'windows-1252', Buffer.from('naïve “x”')],
  ['UTF-8 under shift_jis', 'shift_jis', Buffer.from('Ünï 😀')],
];

function streamed(label: string | undefined, chunks: readonly Buffer[]) {
  const d = createTextDecoder(label);
  let text = '';
  for (const c of chunks) text += d.write(c);
  text += d.end();
  return d.problem === undefined ? { text, charset: d.charset } : { text, charset: d.charset, problem: d.problem };
}

for (const [name, label, b] of SAMPLES) {
  test(`createTextDecoder equals decodeText for ${name} at every split point`, () => {
    const want = decodeText(b, label);
    for (let k = 0; k <= b.length; k++) {
      assert.deepEqual(streamed(label, [b.subarray(0, k), b.subarray(k)]), want, `split at ${k}`);
    }
  });
  test(`createTextDecoder equals decodeText for ${name} fed byte by byte`, () => {
    const chunks = [...b].map((x) => Buffer.from([x]));
    assert.deepEqual(streamed(label, chunks), decodeText(b, label));
  });
}

test('createTextDecoder equals decodeText for UTF-8 and CP949 at every pair of split points', () => {
  for (const [label, b] of [
    ['utf-8', Buffer.from('é€😀ü')],
    ['euc-kr', iconv.encode('똠뷁안녕', 'cp949')],
  ] as const) {
    const want = decodeText(b, label);
    for (let i = 0; i <= b.length; i++) {
      for (let j = i; j <= b.length; j++) {
        const got = streamed(label, [b.subarray(0, i), b.subarray(i, j), b.subarray(j)]);
        assert.deepEqual(got, want, `${label} split at ${i}, ${j}`);
      }
    }
  }
});

test('createTextDecoder example: Shift_JIS cut inside a character', () => {
  const d = createTextDecoder('shift_jis');
  assert.equal(d.write(Buffer.from([0x93, 0xfa, 0x96])) + d.write(Buffer.from([0x7b])) + d.end(), '日本');
  assert.equal(d.charset, 'shift_jis');
});

test('createTextDecoder passes ASCII chunks through at once and holds 8-bit text for the label check', () => {
  const d = createTextDecoder('iso-8859-1');
  assert.equal(d.write(Buffer.from('plain ')), 'plain ');
  assert.equal(d.write(Buffer.from('Grüße')), '');
  assert.equal(d.end(), 'Grüße');
  assert.equal(d.charset, 'utf-8');
  assert.equal(d.problem, 'Charset "iso-8859-1" but the text is UTF-8: decoded as UTF-8');
});

test('createTextDecoder decides after 64 KiB of 8-bit text and keeps that decision', () => {
  const d = createTextDecoder('us-ascii');
  const utf8 = Buffer.from('é'.repeat(40 * 1024)); // 80 KiB of valid UTF-8
  let text = d.write(utf8.subarray(0, 70 * 1024));
  assert.ok(text.length > 0, 'decided once the window was full');
  assert.equal(d.charset, 'utf-8');
  text += d.write(utf8.subarray(70 * 1024)) + d.write(Buffer.from([0xe9])) + d.end();
  assert.equal(text, `${'é'.repeat(40 * 1024)}\ufffd`);
  assert.match(d.problem ?? '', /us-ascii/);
});

test('createTextDecoder decodes a UTF-8 label at once, without holding bytes', () => {
  const d = createTextDecoder('utf-8');
  assert.equal(d.write(Buffer.from('Grüße')), 'Grüße');
  assert.equal(d.end(), '');
  assert.equal(d.problem, undefined);
});

test('createTextDecoder reports invalid bytes found after the decision', () => {
  const d = createTextDecoder('utf-8');
  d.write(Buffer.from('ok '));
  assert.equal(d.problem, undefined);
  d.write(Buffer.from([0xff]));
  assert.equal(d.problem, 'Invalid bytes for charset "utf-8": replaced with U+FFFD');
});

test('createTextDecoder does not strip a UTF-8 BOM that is not at the start', () => {
  const d = createTextDecoder(undefined);
  const text = d.write(Buffer.from('ab')) + d.write(Buffer.from('\ufeffé')) + d.end();
  assert.equal(text, 'ab\ufeffé');
});

test('createTextDecoder refuses writes after end()', () => {
  const d = createTextDecoder('utf-8');
  d.end();
  assert.throws(() => d.write(Buffer.from('x')), /Cannot write to a text decoder: end\(\) was called/);
  assert.equal(d.end(), '');
});

test('createTextDecoder copies held chunks, so the caller may reuse its buffer', () => {
  const d = createTextDecoder('windows-1252');
  const buf = Buffer.from('Grüße');
  let text = d.write(buf);
  buf.fill(0x41);
  text += d.end();
  assert.equal(text, 'Grüße');
});
