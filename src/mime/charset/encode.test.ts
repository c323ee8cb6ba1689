import test from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { encodeText } from './encode.js';
import { decodeText } from './decode.js';

const OUTSIDE = (cs: string) => new RegExp(`^Error: Cannot encode as "${cs}": text contains characters outside the charset$`);

test('encodeText example: 日本語 in ISO-2022-JP is ESC $ B 467C 4B5C 386C ESC ( B (JIS X 0208 by hand)', () => {
  const want = Buffer.from([0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x38, 0x6c, 0x1b, 0x28, 0x42]);
  assert.deepEqual(encodeText('日本語', 'iso-2022-jp'), want);
});

test('encodeText example: € is outside ISO-8859-1', () => {
  assert.throws(() => encodeText('€', 'iso-8859-1'), OUTSIDE('iso-8859-1'));
});

test('encodeText ISO-2022-JP returns to ASCII before every line end and at the end (RFC 1468)', () => {
  const out = encodeText('一行目\r\n二行目 end\r\n三', 'iso-2022-jp').toString('latin1');
  for (const line of out.split('\r\n')) {
    const lastEsc = line.lastIndexOf('\x1b');
    assert.ok(lastEsc === -1 || line.startsWith('\x1b(B', lastEsc), JSON.stringify(line));
  }
  assert.ok(out.endsWith('\x1b(B'));
  assert.equal(decodeText(Buffer.from(out, 'latin1'), 'iso-2022-jp').text, '一行目\r\n二行目 end\r\n三');
});

test('encodeText ISO-2022-KR writes the designator first and EUC-KR bytes minus 0x80 between SO and SI', () => {
  const euc = iconv.encode('안녕', 'euc-kr');
  const want = Buffer.from([0x1b, 0x24, 0x29, 0x43, 0x0e, ...[...euc].map((b) => b - 0x80), 0x0f, 0x21]);
  assert.deepEqual(encodeText('안녕!', 'iso-2022-kr'), want);
});

test('encodeText ISO-2022-KR shifts in and out around ASCII and ends every line in ASCII (RFC 1557)', () => {
  const text = '제목: 한국어 메일\r\n둘째 줄\r\n';
  const out = encodeText(text, 'iso-2022-kr');
  const lines = out.toString('latin1').split('\r\n');
  for (const line of lines) assert.ok(line.lastIndexOf('\x0e') <= line.lastIndexOf('\x0f'), JSON.stringify(line));
  assert.equal(decodeText(out, 'iso-2022-kr').text, text);
});

test('encodeText ISO-2022-KR leaves pure ASCII unchanged', () => {
  assert.deepEqual(encodeText('hello', 'iso-2022-kr'), Buffer.from('hello'));
});

const ROUND_TRIPS: readonly [string, string][] = [
  ['utf-8', 'Grüße 日本語 😀'],
  ['UTF8', 'ok'],
  ['us-ascii', 'plain text\r\n'],
  ['iso-8859-1', 'Café élégant'],
  ['windows-1252', '“quoted” – 5 €'],
  ['iso-8859-2', 'Zażółć gęślą jaźń'],
  ['iso-8859-5', 'Привет'],
  ['iso-8859-7', 'Καλημέρα'],
  ['iso-8859-9', 'Türkçe ağaç'],
  ['iso-8859-15', 'œuvre €'],
  ['koi8-r', 'Съешь же'],
  ['windows-1251', 'Съешь же ещё'],
  ['shift_jis', '日本語のメール①'],
  ['euc-jp', '日本語のメール'],
  ['iso-2022-jp', 'こんにちは、ABC 世界'],
  ['euc-kr', '똠 똡 뷁 햏 안녕하세요'],
  ['ks_c_5601-1987', '한국어 메일'],
  ['iso-2022-kr', '안녕하세요 한국어 메일'],
  ['gb2312', '简体中文'],
  ['gbk', '中文电子邮件'],
  ['gb18030', '中文 😀'],
  ['big5', '繁體中文'],
  ['utf-16', 'UTF-16 😀'],
  ['utf-16le', 'UTF-16 😀'],
  ['utf-16be', 'UTF-16 😀'],
  ['utf-7', 'Hi ☺ 日本'],
  ['macintosh', 'Café'],
  ['cp437', '╔═╗'],
];

for (const [charset, text] of ROUND_TRIPS) {
  test(`encodeText(${charset}) output decodes back to the text`, () => {
    const r = decodeText(encodeText(text, charset), charset);
    assert.equal(r.text, text);
    assert.equal(r.problem, undefined);
  });
}

test('encodeText iso-8859-1 is strict ISO-8859-1 while windows-1252 encodes € as 0x80', () => {
  assert.deepEqual(encodeText('ä', 'latin1'), Buffer.from([0xe4]));
  assert.deepEqual(encodeText('€', 'windows-1252'), Buffer.from([0x80]));
  assert.throws(() => encodeText('€', 'ISO_8859-1:1987'), OUTSIDE('ISO_8859-1:1987'));
});

test('encodeText euc-kr encodes UHC syllables (CP949) as mailers do', () => {
  assert.deepEqual(encodeText('똠', 'euc-kr'), iconv.encode('똠', 'cp949'));
});

const OUTSIDE_CASES: readonly [string, string][] = [
  ['us-ascii', 'é'],
  ['iso-8859-1', '日本'],
  ['iso-8859-2', 'œ'],
  ['koi8-r', 'ü'],
  ['shift_jis', '한국어'],
  ['iso-2022-jp', 'ｱ'], // half-width katakana: not in RFC 1468
  ['iso-2022-jp', '丂'], // JIS X 0212 only
  ['iso-2022-jp', '¥'],
  ['iso-2022-jp', 'a\x1bb'],
  ['iso-2022-kr', '똠'], // UHC syllable: outside KS X 1001
  ['iso-2022-kr', '😀'],
  ['euc-kr', '日本語のメール'],
  ['gb2312', '😀'],
  ['big5', '한'],
];

for (const [charset, text] of OUTSIDE_CASES) {
  test(`encodeText(${charset}) refuses ${JSON.stringify(text)} as outside the charset`, () => {
    assert.throws(() => encodeText(text, charset), OUTSIDE(charset));
  });
}

for (const charset of ['x-foo', 'x-unknown', 'unknown-8bit', '', 'hz-gb-2312', 'base64']) {
  test(`encodeText refuses the unknown charset ${JSON.stringify(charset)}`, () => {
    assert.throws(() => encodeText('x', charset), new RegExp(`^Error: Cannot encode as "${charset}": unknown charset$`));
  });
}

test('encodeText utf-8 always succeeds, even for lone surrogates (written as U+FFFD)', () => {
  assert.deepEqual(encodeText('a\ud800b', 'utf-8'), Buffer.from('a\ufffdb'));
});
