import test from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { createIso2022Jp, createIso2022Kr, Iso2022Engine } from './iso-2022.js';
import { decodeText } from './decode.js';

const ESC = 0x1b;
const SO = 0x0e;
const SI = 0x0f;

function bytes(...parts: (string | number | readonly number[])[]): Buffer {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const ch of p) out.push(ch.charCodeAt(0));
    else out.push(...p);
  }
  return Buffer.from(out);
}

/** Test-side reference: EUC-JP bytes (from iconv-lite) rewritten as ISO-2022-JP, lines ending in ASCII. */
function toIso2022Jp(text: string): Buffer {
  const euc = iconv.encode(text, 'euc-jp');
  const out: number[] = [];
  let jis = false;
  for (let i = 0; i < euc.length; ) {
    if (euc[i]! < 0x80) {
      if (jis) out.push(ESC, 0x28, 0x42);
      jis = false;
      out.push(euc[i++]!);
    } else {
      if (!jis) out.push(ESC, 0x24, 0x42);
      jis = true;
      out.push(euc[i]! - 0x80, euc[i + 1]! - 0x80);
      i += 2;
    }
  }
  if (jis) out.push(ESC, 0x28, 0x42);
  return Buffer.from(out);
}

/** Test-side reference: EUC-KR bytes (from iconv-lite) rewritten as ISO-2022-KR (RFC 1557). */
function toIso2022Kr(text: string): Buffer {
  const euc = iconv.encode(text, 'euc-kr');
  const out: number[] = [ESC, 0x24, 0x29, 0x43];
  let shifted = false;
  for (let i = 0; i < euc.length; ) {
    if (euc[i]! < 0x80) {
      if (shifted) out.push(SI);
      shifted = false;
      out.push(euc[i++]!);
    } else {
      if (!shifted) out.push(SO);
      shifted = true;
      out.push(euc[i]! - 0x80, euc[i + 1]! - 0x80);
      i += 2;
    }
  }
  if (shifted) out.push(SI);
  return Buffer.from(out);
}

function decode(e: Iso2022Engine, b: Buffer): { text: string; flagged: boolean } {
  const text = e.write(b) + e.end();
  return { text, flagged: e.flagged };
}

test('Iso2022Engine decodes 日本語 written by hand from JIS X 0208 (ESC $ B 467C 4B5C 386C ESC ( B)', () => {
  const b = bytes([ESC], '$B', [0x46, 0x7c, 0x4b, 0x5c, 0x38, 0x6c], [ESC], '(B');
  assert.deepEqual(decode(createIso2022Jp(), b), { text: '日本語', flagged: false });
  assert.deepEqual(decodeText(b, 'iso-2022-jp'), { text: '日本語', charset: 'iso-2022-jp' });
});

test('Iso2022Engine example: 日本語 and こん', () => {
  const e = new Iso2022Engine('kana');
  assert.equal(e.write(Buffer.from('\x1b$BF|K\\8l\x1b(B', 'latin1')) + e.end(), '日本語');
  assert.equal(createIso2022Jp().write(Buffer.from('\x1b$B$3$s\x1b(B', 'latin1')), 'こん');
});

const JP_SAMPLES = [
  '日本語のメールです。',
  'こんにちは、世界！\r\nＡＢＣ and ASCII on the next line.\r\n',
  '件名：会議の件について（再送）',
  '①②③ NEC特殊文字',
];

for (const text of JP_SAMPLES) {
  test(`Iso2022Engine decodes ${JSON.stringify(text)} as the original text and as ICU's ISO-2022-JP decoder does`, () => {
    const b = toIso2022Jp(text);
    assert.equal(decode(createIso2022Jp(), b).text, text);
    assert.equal(decode(createIso2022Jp(), b).text, new TextDecoder('iso-2022-jp').decode(b));
  });
}

test('Iso2022Engine reads ESC $ @ (JIS C 6226-1978) like ESC $ B', () => {
  assert.equal(decode(createIso2022Jp(), bytes([ESC], '$@', [0x46, 0x7c], [ESC], '(B')).text, '日');
});

test('Iso2022Engine maps JIS X 0201-Roman 0x5C to ¥ and 0x7E to ‾ (ESC ( J)', () => {
  assert.equal(decode(createIso2022Jp(), bytes([ESC], '(J', 'a\\b~', [ESC], '(B', '\\')).text, 'a¥b‾\\');
});

test('Iso2022Engine maps JIS X 0201 katakana (ESC ( I and SO/SI) to half-width forms', () => {
  assert.equal(decode(createIso2022Jp(), bytes([ESC], '(I', [0x31, 0x32], [ESC], '(B')).text, 'ｱｲ');
  assert.equal(decode(createIso2022Jp(), bytes([SO, 0x31, SI], 'A')).text, 'ｱA');
});

test('Iso2022Engine decodes the RFC 1554/2237 sets: JIS X 0212, GB 2312, KS C 5601', () => {
  // JIS X 0212 0x3021 is 丂 (first kanji of row 16); GB 2312 0x5650 is 中; KS C 5601 0x4751 is 한.
  const b = bytes([ESC], '$(D', [0x30, 0x21], [ESC], '$A', [0x56, 0x50], [ESC], '$(C', [0x47, 0x51], [ESC], '(B');
  assert.deepEqual(decode(createIso2022Jp(), b), { text: '丂中한', flagged: false });
});

test('Iso2022Engine decodes ISO-2022-JP-2 G2 sets through single shift ESC N (RFC 1554)', () => {
  const b = bytes([ESC], '.A', 'caf', [ESC], 'Ni', ' ', [ESC], '.F', [ESC], 'Na');
  assert.equal(decode(createIso2022Jp(), b).text, 'café α');
});

test('Iso2022Engine returns to ASCII at a line end when a line forgot ESC ( B', () => {
  const b = bytes([ESC], '$B', [0x46, 0x7c], '\r\nAB');
  assert.deepEqual(decode(createIso2022Jp(), b), { text: '日\r\nAB', flagged: false });
});

test('Iso2022Engine keeps JIS-Roman across a line end, as RFC 1468 allows', () => {
  assert.equal(decode(createIso2022Jp(), bytes([ESC], '(Ja\r\n\\', [ESC], '(B\\')).text, 'a\r\n¥\\');
});

test('Iso2022Engine replaces 8-bit bytes, unknown escapes and a lone first byte with U+FFFD and flags', () => {
  assert.deepEqual(decode(createIso2022Jp(), bytes('A', [0xc3], 'B')), { text: 'A\ufffdB', flagged: true });
  assert.deepEqual(decode(createIso2022Jp(), bytes([ESC], '(Zx')), { text: '\ufffdx', flagged: true });
  assert.deepEqual(decode(createIso2022Jp(), bytes([ESC], 'Zx')), { text: '\ufffdZx', flagged: true });
  assert.deepEqual(decode(createIso2022Jp(), bytes([ESC], '$B', [0x46])), { text: '\ufffd', flagged: true });
  assert.deepEqual(decode(createIso2022Jp(), bytes([ESC], '$')), { text: '\ufffd$', flagged: true });
});

test('Iso2022Engine keeps a space and controls in double-byte mode', () => {
  assert.equal(decode(createIso2022Jp(), bytes([ESC], '$B', [0x46, 0x7c], ' \t', [0x4b, 0x5c], [ESC], '(B')).text, '日 \t本');
});

// --- ISO-2022-KR (RFC 1557) ---

test('Iso2022Engine example: 한 in ISO-2022-KR', () => {
  assert.equal(createIso2022Kr().write(Buffer.from('\x1b$)C\x0eGQ\x0f', 'latin1')), '한');
});

for (const text of ['안녕하세요', '한국어 메일', '제목: 안녕하세요!\r\n한국어 메일입니다.\r\nASCII line\r\n']) {
  test(`Iso2022Engine decodes ISO-2022-KR ${JSON.stringify(text)} built from EUC-KR bytes minus 0x80`, () => {
    const b = toIso2022Kr(text);
    assert.deepEqual(decode(createIso2022Kr(), b), { text, flagged: false });
    assert.deepEqual(decodeText(b, 'iso-2022-kr'), { text, charset: 'iso-2022-kr' });
    assert.deepEqual(decodeText(b, 'csISO2022KR'), { text, charset: 'iso-2022-kr' });
  });
}

test('Iso2022Engine ISO-2022-KR returns to ASCII at CR/LF when SI is missing', () => {
  // 안 is EUC-KR BE C8 → 3E 48
  const b = bytes([ESC], '$)C', [SO, 0x3e, 0x48], '\r\n>H');
  assert.deepEqual(decode(createIso2022Kr(), b), { text: '안\r\n>H', flagged: false });
});

test('Iso2022Engine ISO-2022-KR reads SO as KS X 1001 even without the designator', () => {
  assert.equal(decode(createIso2022Kr(), bytes([SO, 0x3e, 0x48, SI])).text, '안');
});

test('Iso2022Engine ISO-2022-KR keeps a space inside an SO segment', () => {
  const euc = iconv.encode('한국 메일', 'euc-kr');
  const shifted = [...euc].map((b) => (b >= 0x80 ? b - 0x80 : b));
  assert.equal(decode(createIso2022Kr(), bytes([ESC], '$)C', [SO], shifted, [SI])).text, '한국 메일');
});

test('decodeText recognises unlabelled ISO-2022-KR by its designator', () => {
  const r = decodeText(toIso2022Kr('안녕하세요'));
  assert.equal(r.text, '안녕하세요');
  assert.equal(r.charset, 'iso-2022-kr');
});
