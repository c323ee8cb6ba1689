import test from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { decodeWords, encodeWords } from './encoded-word.js';
import { assertNoLineBreak, encodeRuns } from './encode-words.js';

const b64 = (bytes: Buffer): string => bytes.toString('base64');
const enc = (text: string, charset: string): Buffer => iconv.encode(text, charset);
/** ISO-2022-JP bytes built from EUC-JP (JIS X 0208 = EUC-JP with the high bits cleared), not by the code under test. */
function iso2022jp(text: string): Buffer {
  const euc = enc(text, 'euc-jp');
  return Buffer.concat([Buffer.from([0x1b, 0x24, 0x42]), Buffer.from(euc.map((b) => b & 0x7f)), Buffer.from([0x1b, 0x28, 0x42])]);
}
/** Splits bytes in the middle of a multi-byte character and returns two B words. */
function splitWords(charset: string, bytes: Buffer, at: number): string {
  return `=?${charset}?B?${b64(bytes.subarray(0, at))}?= =?${charset}?B?${b64(bytes.subarray(at))}?=`;
}

const hebrew = iconv.decode(Buffer.from('7eXs+SDv4SDp7Oj08A==', 'base64'), 'iso-8859-8');
const korean = '안녕하세요 여러분';
const cp949 = enc(korean, 'cp949');
const utf8Ja = Buffer.from('日本語のテキスト', 'utf8');

const decodeCases: [string, string][] = [
  // RFC 2047 §8
  ['(=?ISO-8859-1?Q?a?=)', '(a)'],
  ['(=?ISO-8859-1?Q?a?= b)', '(a b)'],
  ['(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)', '(ab)'],
  ['(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)', '(ab)'],
  ['(=?ISO-8859-1?Q?a?=\t   =?ISO-8859-1?Q?b?=)', '(ab)'],
  ['(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)', '(ab)'],
  ['(=?ISO-8859-1?Q?a_b?=)', '(a b)'],
  ['(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)', '(a b)'],
  ['=?US-ASCII?Q?Keith_Moore?=', 'Keith Moore'],
  ['=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=', 'Keld Jørn Simonsen'],
  ['=?ISO-8859-1?Q?Andr=E9?= Pirard', 'André Pirard'],
  [
    '=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=',
    'If you can read this you understand the example.',
  ],
  ['=?ISO-8859-1?Q?Olle_J=E4rnefors?=', 'Olle Järnefors'],
  ['(=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)', `(${hebrew})`],
  ['=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?=', 'Patrik Fältström'],
  // RFC 2231 §5: language in the charset
  ['=?US-ASCII*EN?Q?Keith_Moore?=', 'Keith Moore'],
  ['=?UTF-8*de?Q?Gr=C3=BC=C3=9Fe?=', 'Grüße'],
  // Case, aliases, plain text around words
  ['=?utf-8?q?caf=c3=a9?=', 'café'],
  ['=?UTF8?B?w6k=?=', 'é'],
  ['Hello =?UTF-8?Q?W=C3=B6rld?= !', 'Hello Wörld !'],
  ['Re: [list] =?UTF-8?B?5pel5pys6Kqe?=', 'Re: [list] 日本語'],
  ['=?UTF-8?Q??=', ''],
  ['=?windows-1252?Q?=93quoted=94?=', '\u201cquoted\u201d'],
  ['=?KOI8-R?B?' + b64(enc('Привет', 'koi8-r')) + '?=', 'Привет'],
  ['=?GB2312?B?' + b64(enc('你好世界', 'gb2312')) + '?=', '你好世界'],
  ['=?Big5?B?' + b64(enc('繁體中文', 'big5')) + '?=', '繁體中文'],
  ['=?Shift_JIS?B?' + b64(enc('日本語', 'shift_jis')) + '?=', '日本語'],
  ['=?EUC-KR?B?' + b64(enc('한국어', 'euc-kr')) + '?=', '한국어'],
  ['=?ISO-2022-JP?B?' + b64(iso2022jp('こんにちは')) + '?=', 'こんにちは'],
  // Byte-level joins: characters split across words (RFC 2047 §6.2 read with what mailers really send)
  [splitWords('UTF-8', utf8Ja, 4), '日本語のテキスト'],
  [splitWords('ks_c_5601-1987', cp949, 3), korean],
  [splitWords('EUC-KR', enc('가나다라', 'euc-kr'), 3), '가나다라'],
  [
    `=?ISO-2022-JP?B?${b64(iso2022jp('日本'))}?= =?ISO-2022-JP?B?${b64(iso2022jp('語'))}?=`,
    '日本語',
  ],
  ['=?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5?=', '日'],
  ['=?UTF-8?B?5pe?= =?UTF-8?Q?=A5?=', '日'],
  // Base64 cut in the middle of a quantum
  ['=?UTF-8?B?SGVsbG?= =?UTF-8?B?8gV29ybGQ=?=', 'Hello World'],
  // Malformed shapes
  ['=?UTF-8?Q?hello world?=', 'hello world'],
  ['=?UTF-8?Q?Why??=', 'Why?'],
  ['Re:=?UTF-8?Q?caf=C3=A9?=', 'Re:café'],
  ['=?UTF-8?Q?a?=b', 'ab'],
  ['=?UTF-8?Q?a?==?UTF-8?Q?b?=', 'ab'],
  ['=?UTF-8?Q?caf=C3=A9', 'café'],
  ['=?UTF-8?B?Y2Fmw6k= next', 'café next'],
  ['=?UTF-8?B?Y2Fmw6k= =?UTF-8?B?w6k=?=', 'caféé'],
  ['=?UTF-8?Q?caf=C3=A9_noir?=', 'café noir'],
  ['=?iso-8859-1?Q?Caf=E9 au lait?=', 'Café au lait'],
  ['=?UTF-8?B?w6k?=', 'é'],
  ['=?Utf-8?b?w6k=?=', 'é'],
  ['[SPAM] =?UTF-8?B?w6k=?=\t=?UTF-8?B?w6k=?= (x)', '[SPAM] éé (x)'],
  ['=?UTF-8?Q?café_noir?=', 'café noir'],
  ['=?x-no-such-charset?Q?plain?=', 'plain'],
  ['=?x-no-such-charset?B?/w==?=', '=?x-no-such-charset?B?/w==?='],
  // Not encoded words: left as they are
  ['a =? b ?= c', 'a =? b ?= c'],
  ['=?UTF-8?X?abc?=', '=?UTF-8?X?abc?='],
  ['=??Q?abc?=', '=??Q?abc?='],
  ['price =? 5', 'price =? 5'],
  ['=?', '=?'],
  ['=?UTF-8?Q', '=?UTF-8?Q'],
  ['no words here', 'no words here'],
  ['', ''],
];

for (const [input, want] of decodeCases) {
  test(`decodeWords(${JSON.stringify(input).slice(0, 90)}) gives ${JSON.stringify(want).slice(0, 40)}`, () => {
    assert.equal(decodeWords(input).text, want);
  });
}

const problemCases: [string, RegExp][] = [
  ['=?UTF-8?Q?caf=C3=A9', /missing "\?="/],
  ['=?UTF-8?Q?hello world?=', /whitespace/],
  ['Re:=?UTF-8?Q?a?=', /not separated/],
  ['=?x-no-such-charset?B?/w==?=', /Unknown charset "x-no-such-charset"/],
  ['=?UTF-8?B?SGVsbG8*?=', /base64/],
  ['=?UTF-8?Q?caf=C3=A9_noir?= ok', /^$/],
];
for (const [input, want] of problemCases) {
  test(`decodeWords(${JSON.stringify(input)}) reports ${want}`, () => {
    assert.match(decodeWords(input).problems.join('\n'), want);
  });
}

test('decodeWords returns the same string and no problems when there is no "=?" (fast path)', () => {
  const s = 'Plain subject line';
  const r = decodeWords(s);
  assert.equal(r.text, s);
  assert.deepEqual(r.problems, []);
});

test('decodeWords stays linear on many unterminated words', () => {
  const s = '=?UTF-8?Q?x '.repeat(50_000);
  const t = Date.now();
  decodeWords(s);
  assert.ok(Date.now() - t < 2000);
});

test('decodeWords example from the TSDoc', () => {
  assert.equal(decodeWords('=?UTF-8?Q?Caf=C3=A9?= =?UTF-8?B?w6k=?= ok').text, 'Caféé ok');
});

const encodeCases: [string, Parameters<typeof encodeWords>[1], string][] = [
  ['Hello world', undefined, 'Hello world'],
  ['Grüße aus Köln', undefined, '=?UTF-8?B?R3LDvMOfZQ==?= aus =?UTF-8?B?S8O2bG4=?='],
  ['Ein schöner Tag', undefined, 'Ein =?UTF-8?Q?sch=C3=B6ner?= Tag'],
  ['Grüße Köln', undefined, '=?UTF-8?B?R3LDvMOfZSBLw7Zsbg==?='],
  ['日本語', undefined, '=?UTF-8?B?5pel5pys6Kqe?='],
  ['a =?x?q?y?= b', undefined, 'a =?UTF-8?B?PT94P3E/eT89?= b'],
  ['  leading and trailing  ', undefined, '  leading and trailing  '],
  ['Müller, Hans', { context: 'phrase' }, '=?UTF-8?B?TcO8bGxlciw=?= Hans'],
  ['Dr. Jörg', { context: 'phrase' }, '=?UTF-8?B?RHIuIErDtnJn?='],
  ['(é)', { context: 'comment' }, '=?UTF-8?B?KMOpKQ==?='],
  ['Hello (world) ok', { context: 'comment' }, 'Hello =?UTF-8?Q?=28world=29?= ok'],
  ['"Ab" x', { context: 'phrase' }, '=?UTF-8?Q?=22Ab=22?= x'],
  ['tab\there é', undefined, 'tab\there =?UTF-8?B?w6k=?='],
  ['😀', undefined, '=?UTF-8?B?8J+YgA==?='],
];
for (const [input, opts, want] of encodeCases) {
  test(`encodeWords(${JSON.stringify(input)}, ${JSON.stringify(opts)}) gives ${want}`, () => {
    assert.equal(encodeWords(input, opts), want);
  });
}

test('encodeWords example from the TSDoc', () => {
  assert.equal(encodeWords('Ein schöner Tag'), 'Ein =?UTF-8?Q?sch=C3=B6ner?= Tag');
});

for (const bad of ['a\r\nBcc: x@y.test', 'a\nb', 'a\rb', 'a\0b']) {
  test(`encodeWords(${JSON.stringify(bad)}) throws (header injection)`, () => {
    assert.throws(() => encodeWords(bad), /Cannot encode words: value contains (CR or LF|NUL)/);
  });
}

/** Decodes one UTF-8 encoded word with Node only, not with the code under test. */
function wordBytes(word: string): Buffer {
  const m = /^=\?UTF-8\?([BQ])\?(.*)\?=$/.exec(word);
  assert.ok(m, `not an encoded word: ${word}`);
  if (m[1] === 'B') return Buffer.from(m[2]!, 'base64');
  const bytes: number[] = [];
  const t = m[2]!;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '_') bytes.push(0x20);
    else if (t[i] === '=') {
      bytes.push(parseInt(t.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(t.charCodeAt(i));
  }
  return Buffer.from(bytes);
}

const text = fc.string({ unit: 'binary', maxLength: 200 }).map((s) => s.replace(/[\r\n\0]/g, ' '));
const mixed = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom(' ', '  ', '\t', 'abc', 'é', '😀', '=?', '?=')), { maxLength: 40 })
  .map((a) => a.join('').replace(/[\r\n\0]/g, ' '));

test('encodeWords then decodeWords gives the text back (property)', () => {
  fc.assert(
    fc.property(fc.oneof(text, mixed), fc.constantFrom('text', 'phrase', 'comment') as fc.Arbitrary<'text' | 'phrase' | 'comment'>, (s, context) => {
      assert.equal(decodeWords(encodeWords(s, { context })).text, s);
    }),
    { numRuns: 500 },
  );
});

test('encodeWords keeps every word within 75 characters and never splits a character (property)', () => {
  fc.assert(
    fc.property(fc.oneof(text, mixed), (s) => {
      for (const word of encodeWords(s).split(/[ \t]+/)) {
        if (!word.startsWith('=?UTF-8?')) continue;
        assert.ok(word.length <= 75, word);
        assert.ok(isUtf8(wordBytes(word)), `split character in ${word}`);
      }
    }),
    { numRuns: 500 },
  );
});

test('encodeWords never splits a surrogate pair across words', () => {
  const s = '😀'.repeat(40);
  const words = encodeWords(s).split(' ');
  assert.ok(words.length > 1);
  for (const w of words) assert.ok(isUtf8(wordBytes(w)) && /^(?:😀)+$/.test(wordBytes(w).toString('utf8')));
});

test('encodeRuns and assertNoLineBreak examples from the TSDoc', () => {
  assert.equal(encodeRuns('a\tb c d e', { context: 'comment', whole: true }), '=?UTF-8?Q?a=09b_c_d_e?=');
  assert.equal(encodeRuns('x '.repeat(3) + 'é', { context: 'text', needs: (w) => w !== 'x' }), 'x x x =?UTF-8?B?w6k=?=');
  assert.throws(() => assertNoLineBreak('Cannot encode header "Subject"', 'a\r\nb'), /^Error: Cannot encode header "Subject": value contains CR or LF$/);
  assert.equal(encodeWords('Hello (world) ok', { context: 'comment' }), 'Hello =?UTF-8?Q?=28world=29?= ok');
});
