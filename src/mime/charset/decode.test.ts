import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { decodeText } from './decode.js';

// [label, text, iconv-lite codec that makes the bytes, expected canonical charset]
const FAMILIES: readonly [string, string, string, string][] = [
  ['utf-8', 'Grüße, 日本語, 😀', 'utf-8', 'utf-8'],
  ['iso-8859-2', 'Zażółć gęślą jaźń', 'iso-8859-2', 'iso-8859-2'],
  ['iso-8859-3', 'Ħaġar, ċavetta', 'iso-8859-3', 'iso-8859-3'],
  ['iso-8859-4', 'Ķīlis ūdens', 'iso-8859-4', 'iso-8859-4'],
  ['iso-8859-5', 'Привет, мир', 'iso-8859-5', 'iso-8859-5'],
  ['iso-8859-6', 'مرحبا بالعالم', 'iso-8859-6', 'iso-8859-6'],
  ['iso-8859-7', 'Καλημέρα κόσμε', 'iso-8859-7', 'iso-8859-7'],
  ['iso-8859-8', 'שלום עולם', 'iso-8859-8', 'iso-8859-8'],
  ['iso-8859-8-i', 'שלום עולם', 'iso-8859-8', 'iso-8859-8-i'],
  ['iso-8859-10', 'Þórður á Íslandi', 'iso-8859-10', 'iso-8859-10'],
  ['iso-8859-13', 'Ąžuolas ir ēdiens', 'iso-8859-13', 'iso-8859-13'],
  ['iso-8859-14', 'Ŵyn a ŷd', 'iso-8859-14', 'iso-8859-14'],
  ['iso-8859-15', 'Prix: 5 € œuvre', 'iso-8859-15', 'iso-8859-15'],
  ['iso-8859-16', 'Științe și țări', 'iso-8859-16', 'iso-8859-16'],
  ['iso-8859-1', 'Café élégant à Noël', 'iso-8859-1', 'windows-1252'],
  ['latin1', 'Grüße aus Köln', 'iso-8859-1', 'windows-1252'],
  ['iso-8859-9', 'Türkçe ağaç', 'iso-8859-9', 'windows-1254'],
  ['windows-1250', 'Příliš žluťoučký kůň', 'windows-1250', 'windows-1250'],
  ['windows-1251', 'Съешь же ещё этих булок', 'windows-1251', 'windows-1251'],
  ['windows-1252', '“Smart quotes” – don’t… 5 €', 'windows-1252', 'windows-1252'],
  ['cp1252', 'Señor Müller', 'windows-1252', 'windows-1252'],
  ['windows-1253', 'Ελληνικά κείμενα', 'windows-1253', 'windows-1253'],
  ['windows-1254', 'Şırnak İstanbul', 'windows-1254', 'windows-1254'],
  ['windows-1255', 'עברית טובה', 'windows-1255', 'windows-1255'],
  ['windows-1256', 'العربية لغة', 'windows-1256', 'windows-1256'],
  ['windows-1257', 'Latviešu valoda', 'windows-1257', 'windows-1257'],
  ['windows-1258', 'Tiê\u0301ng Viê\u0323t', 'windows-1258', 'windows-1258'],
  ['windows-874', 'ภาษาไทย', 'windows-874', 'windows-874'],
  ['tis-620', 'สวัสดี', 'tis620', 'windows-874'],
  ['koi8-r', 'Съешь же ещё', 'koi8-r', 'koi8-r'],
  ['koi8-u', 'Їжак і ґанок', 'koi8-u', 'koi8-u'],
  ['ibm866', 'Привет из DOS', 'cp866', 'ibm866'],
  ['macintosh', 'Café crème', 'macintosh', 'macintosh'],
  ['x-mac-cyrillic', 'Привет', 'maccyrillic', 'x-mac-cyrillic'],
  ['cp437', 'Box ╔═╗ drawing', 'cp437', 'cp437'],
  ['gbk', '中文电子邮件', 'gbk', 'gbk'],
  ['gb2312', '简体中文', 'gbk', 'gbk'],
  ['gb18030', '中文 😀 ḿ', 'gb18030', 'gb18030'],
  ['big5', '繁體中文郵件', 'big5', 'big5'],
  ['euc-jp', '日本語のメールです', 'euc-jp', 'euc-jp'],
  ['shift_jis', '日本語のメールです①', 'shift_jis', 'shift_jis'],
  ['cp932', 'ｶﾀｶﾅと漢字', 'cp932', 'shift_jis'],
  ['utf-16le', 'UTF-16 😀 текст', 'utf-16le', 'utf-16le'],
  ['utf-16be', 'UTF-16 😀 текст', 'utf-16be', 'utf-16be'],
  ['utf-16', 'with BOM 😀', 'utf-16', 'utf-16'],
  ['utf-7', 'Hi Mom -☺-! 日本', 'utf-7', 'utf-7'],
  ['utf-32le', 'UTF-32 😀', 'utf-32le', 'utf-32le'],
];

for (const [label, text, codec, charset] of FAMILIES) {
  test(`decodeText decodes ${label} text made by iconv-lite (${codec})`, () => {
    const r = decodeText(iconv.encode(text, codec), label);
    assert.deepEqual(r, { text, charset });
  });
}

const KOREAN_LABELS = ['euc-kr', 'ks_c_5601-1987', 'ks_c_5601', 'korean', 'cp949', 'uhc', 'windows-949', 'x-windows-949'] as const;
// 똠 똡 뷁 햏 are UHC (CP949) syllables outside KS X 1001: Node 20's TextDecoder('euc-kr') loses them.
const KOREAN = '똠 똡 뷁 햏, 안녕하세요. 한국어 메일입니다.';

for (const label of KOREAN_LABELS) {
  test(`decodeText decodes CP949 syllables 똠 똡 뷁 햏 and ordinary Korean under ${label}`, () => {
    assert.deepEqual(decodeText(iconv.encode(KOREAN, 'cp949'), label), { text: KOREAN, charset: 'cp949' });
  });
}

test("decodeText windows-1252 follows WHATWG: 0x80 is €, 0x81 is U+0081, 0x9F is Ÿ (also for 'iso-8859-1')", () => {
  const bytes = Buffer.from([0x80, 0x81, 0x9f, 0xe9]);
  for (const label of ['windows-1252', 'iso-8859-1']) {
    assert.deepEqual(decodeText(bytes, label), { text: '€\u0081Ÿé', charset: 'windows-1252' });
  }
});

test('decodeText macintosh follows WHATWG: 0xDB is €', () => {
  assert.equal(decodeText(Buffer.from([0xdb]), 'macintosh').text, '€');
});

test('decodeText big5 includes HKSCS: 0x8862 is Ê̄ (two code points, WHATWG index-big5)', () => {
  assert.equal(decodeText(Buffer.from([0x88, 0x62]), 'big5').text, '\u00ca\u0304');
});

test('decodeText strips a leading UTF-8 byte order mark', () => {
  assert.deepEqual(decodeText(Buffer.from('\ufeffhello'), 'utf-8'), { text: 'hello', charset: 'utf-8' });
});

test('decodeText accepts a plain Uint8Array', () => {
  assert.deepEqual(decodeText(new Uint8Array([0xc3, 0xa9]), 'UTF-8'), { text: 'é', charset: 'utf-8' });
});

test('decodeText example: Korean under ks_c_5601-1987, UTF-8 under us-ascii', () => {
  assert.deepEqual(decodeText(Buffer.from([0xbe, 0xc8, 0xb3, 0xe7]), 'ks_c_5601-1987'), { text: '안녕', charset: 'cp949' });
  assert.deepEqual(decodeText(Buffer.from('café'), 'us-ascii'), {
    text: 'café',
    charset: 'utf-8',
    problem: 'Charset "us-ascii" but the text has 8-bit bytes: decoded as UTF-8',
  });
});

// --- US-ASCII and a missing label (RFC 2045 §5.2) ---

for (const label of [undefined, null, '', 'us-ascii', 'ASCII', 'ansi_x3.4-1968']) {
  const name = label === undefined ? 'undefined' : JSON.stringify(label);
  test(`decodeText with label ${name} decodes 7-bit bytes as us-ascii without a problem`, () => {
    assert.deepEqual(decodeText(Buffer.from('Hello\r\nworld'), label), { text: 'Hello\r\nworld', charset: 'us-ascii' });
  });
  test(`decodeText with label ${name} decodes valid UTF-8 8-bit bytes as UTF-8 with a problem`, () => {
    const r = decodeText(Buffer.from('Grüße'), label);
    assert.equal(r.text, 'Grüße');
    assert.equal(r.charset, 'utf-8');
    assert.match(r.problem ?? '', /8-bit bytes: decoded as UTF-8$/);
  });
  test(`decodeText with label ${name} decodes other 8-bit bytes as windows-1252 with a problem`, () => {
    const r = decodeText(iconv.encode('Grüße – “quoted”', 'windows-1252'), label);
    assert.equal(r.text, 'Grüße – “quoted”');
    assert.equal(r.charset, 'windows-1252');
    assert.match(r.problem ?? '', /8-bit bytes: decoded as windows-1252$/);
  });
}

test('decodeText without a label names the missing charset in its problem', () => {
  assert.equal(decodeText(Buffer.from('é')).problem, 'No charset declared but the text has 8-bit bytes: decoded as UTF-8');
});

test('decodeText without a label recognises ISO-2022-JP by its escapes', () => {
  const r = decodeText(Buffer.from('\x1b$BF|K\\8l\x1b(B', 'latin1'));
  assert.equal(r.text, '日本語');
  assert.equal(r.charset, 'iso-2022-jp');
  assert.match(r.problem ?? '', /ISO 2022 escapes: decoded as iso-2022-jp$/);
});

// --- Unknown labels: guessing ---

const GUESSES: readonly [string, string, string][] = [
  ['UTF-8', 'Grüße 日本語', 'utf-8'],
  ['CP949', KOREAN, 'cp949'],
  ['Shift_JIS', '日本語のメールです。よろしくお願いします。', 'shift_jis'],
  ['EUC-JP', '日本語のメールです。よろしくお願いします。', 'euc-jp'],
  ['windows-1252', 'Café élégant, “quoted” – naïve', 'windows-1252'],
];

for (const [codec, text, charset] of GUESSES) {
  test(`decodeText guesses ${charset} for ${codec} bytes under an unknown label, with a problem`, () => {
    const r = decodeText(iconv.encode(text, codec), 'x-foo');
    assert.equal(r.text, text);
    assert.equal(r.charset, charset);
    assert.equal(r.problem, `Unknown charset "x-foo": decoded as ${charset === 'utf-8' ? 'UTF-8' : charset}`);
  });
  test(`decodeText guesses ${charset} for ${codec} bytes under x-unknown`, () => {
    const r = decodeText(iconv.encode(text, codec), 'x-unknown');
    assert.equal(r.text, text);
    assert.equal(r.charset, charset);
    assert.equal(r.problem === undefined, charset === 'utf-8', String(r.problem));
  });
}

const LATIN_NOT_CJK = ['don’t', 'informações não', 'Grüße aus Köln', 'ÀÉ çà', 'Frédéric', 'É', 'naïve café'];
for (const text of LATIN_NOT_CJK) {
  test(`decodeText does not mistake windows-1252 ${JSON.stringify(text)} for a CJK charset`, () => {
    const r = decodeText(iconv.encode(text, 'windows-1252'));
    assert.equal(r.charset, 'windows-1252');
    assert.equal(r.text, text);
  });
}

test('decodeText decodes an unknown label on ASCII as UTF-8 with a problem', () => {
  assert.deepEqual(decodeText(Buffer.from('plain'), 'x-foo'), {
    text: 'plain',
    charset: 'utf-8',
    problem: 'Unknown charset "x-foo": decoded as UTF-8',
  });
});

// --- Lying labels ---

for (const label of ['windows-1252', 'iso-8859-1', 'iso-8859-2', 'koi8-r', 'windows-1251']) {
  test(`decodeText prefers UTF-8 when ${label} labels valid multi-byte UTF-8`, () => {
    const r = decodeText(Buffer.from('Grüße – “quoted”'), label);
    assert.deepEqual(r, {
      text: 'Grüße – “quoted”',
      charset: 'utf-8',
      problem: `Charset "${label}" but the text is UTF-8: decoded as UTF-8`,
    });
  });
}

for (const label of ['shift_jis', 'euc-kr', 'gb2312', 'big5', 'euc-jp', 'iso-2022-jp']) {
  test(`decodeText prefers UTF-8 when ${label} decoding fails on valid UTF-8`, () => {
    const r = decodeText(Buffer.from('Ünïcödé text — 😀'), label);
    assert.equal(r.text, 'Ünïcödé text — 😀');
    assert.equal(r.charset, 'utf-8');
    assert.match(r.problem ?? '', /but the text is UTF-8/);
  });
}

test('decodeText keeps a multi-byte label whose decoding fails on bytes that are not UTF-8, with a problem', () => {
  const r = decodeText(Buffer.from([0x93, 0xfa, 0xff, 0x41]), 'shift_jis');
  assert.equal(r.text, '日\ufffdA');
  assert.equal(r.charset, 'shift_jis');
  assert.equal(r.problem, 'Invalid bytes for charset "shift_jis": replaced with U+FFFD');
});

test('decodeText keeps a legacy label on pure ASCII without a problem', () => {
  assert.deepEqual(decodeText(Buffer.from('plain text'), 'euc-kr'), { text: 'plain text', charset: 'cp949' });
});

test('decodeText replaces invalid UTF-8 under a UTF-8 label and does not guess (RFC 6532)', () => {
  const cp949 = iconv.encode('안녕', 'cp949');
  const r = decodeText(Buffer.concat([Buffer.from('A'), cp949]), 'utf-8');
  assert.equal(r.charset, 'utf-8');
  assert.equal(r.text, Buffer.concat([Buffer.from('A'), cp949]).toString('utf8'));
  assert.ok(r.text.includes('\ufffd'));
  assert.equal(r.problem, 'Invalid bytes for charset "utf-8": replaced with U+FFFD');
});

test('decodeText replaces invalid UTF-8 per WHATWG maximal subparts', () => {
  const cases: [number[], string][] = [
    [[0xe0, 0x80, 0x41], '\ufffd\ufffdA'],
    [[0xf0, 0x90, 0x41], '\ufffdA'],
    [[0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
    [[0xe2, 0x82], '\ufffd'],
  ];
  for (const [bytes, want] of cases) assert.equal(decodeText(Buffer.from(bytes), 'utf-8').text, want);
});

test('decodeText reports undefined bytes of a single-byte charset', () => {
  const r = decodeText(Buffer.from([0x41, 0xa1]), 'iso-8859-6'); // 0xA1 is unassigned in ISO-8859-6
  assert.equal(r.text, 'A\ufffd');
  assert.equal(r.problem, 'Invalid bytes for charset "iso-8859-6": replaced with U+FFFD');
});

test('decodeText reports a truncated UTF-16 text', () => {
  const r = decodeText(Buffer.from([0x41, 0x00, 0x42]), 'utf-16le');
  assert.equal(r.text, 'A\ufffd');
  assert.match(r.problem ?? '', /utf-16le/);
});

test('decodeText never throws, whatever the bytes and the label', () => {
  const labels = fc.constantFrom(
    undefined, null, '', 'utf-8', 'us-ascii', 'x-foo', 'x-unknown', 'cp949', 'shift_jis', 'euc-jp', 'gb18030', 'big5',
    'iso-2022-jp', 'iso-2022-kr', 'utf-16', 'utf-16be', 'utf-7', 'utf-32', 'windows-1252', 'iso-8859-6', 'cp437',
    '"\u0000garbage\u0001"',
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), labels, (bytes, label) => {
      const r = decodeText(bytes, label);
      assert.equal(typeof r.text, 'string');
      assert.ok(r.charset.length > 0);
      assert.ok(r.problem === undefined || typeof r.problem === 'string');
    }),
    { numRuns: 2000 },
  );
});
