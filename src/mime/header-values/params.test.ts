import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { formatParams, parseParamValue } from './params.js';

const b64 = (text: string, charset: string): string => iconv.encode(text, charset).toString('base64');
const pct = (bytes: Buffer): string => [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const utf8Name = Buffer.from('Grüße aus 東京.pdf', 'utf8');

const cases: [string, string, Record<string, string>][] = [
  // RFC 2045 §5.1
  ['text/plain; charset=us-ascii (Plain text)', 'text/plain', { charset: 'us-ascii' }],
  ['text/plain; charset="us-ascii"', 'text/plain', { charset: 'us-ascii' }],
  ['TEXT/PLAIN; CHARSET=UTF-8', 'text/plain', { charset: 'UTF-8' }],
  ['multipart/mixed; boundary="----=_Part_0_1.2"', 'multipart/mixed', { boundary: '----=_Part_0_1.2' }],
  ['multipart/mixed; boundary="=?weird?="', 'multipart/mixed', { boundary: '=?weird?=' }],
  ['text/plain', 'text/plain', {}],
  ['text/plain;charset=utf-8', 'text/plain', { charset: 'utf-8' }],
  ['multipart/alternative;\tboundary="b1"', 'multipart/alternative', { boundary: 'b1' }],
  ["attachment; FILENAME*=UTF-8''%C3%A9.txt", 'attachment', { filename: 'é.txt' }],
  ['', '', {}],
  ['text / plain ; charset = utf-8', 'text/plain', { charset: 'utf-8' }],
  ['text/plain (comment); format=flowed', 'text/plain', { format: 'flowed' }],
  // RFC 2183
  ['attachment; filename=genome.jpeg; modification-date="Wed, 12 Feb 1997 16:29:51 -0500";', 'attachment', {
    filename: 'genome.jpeg',
    'modification-date': 'Wed, 12 Feb 1997 16:29:51 -0500',
  }],
  ['inline', 'inline', {}],
  // RFC 2231 §3, §4, §4.1
  [
    'message/external-body; access-type=URL; URL*0="ftp://"; URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"',
    'message/external-body',
    { 'access-type': 'URL', url: 'ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar' },
  ],
  ["application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", 'application/x-stuff', { title: 'This is ***fun***' }],
  [
    "application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
    'application/x-stuff',
    { title: "This is even more ***fun*** isn't it!" },
  ],
  ["attachment; filename*=utf-8''%E2%82%AC.txt", 'attachment', { filename: '€.txt' }],
  ["attachment; filename*=UTF-8''" + pct(utf8Name), 'attachment', { filename: 'Grüße aus 東京.pdf' }],
  // A character split across continuation segments (Thunderbird splits bytes)
  [
    `attachment; filename*0*=utf-8''${pct(utf8Name.subarray(0, 4))}; filename*1*=${pct(utf8Name.subarray(4))}`,
    'attachment',
    { filename: 'Grüße aus 東京.pdf' },
  ],
  // Out of order and with gaps
  ['attachment; filename*1="b.txt"; filename*0="a"', 'attachment', { filename: 'ab.txt' }],
  ['attachment; filename*0="a"; filename*2="c"', 'attachment', { filename: 'ac' }],
  // The extended form wins over the plain one, in any order
  ["attachment; filename=\"fallback.txt\"; filename*=utf-8''%C3%A9.txt", 'attachment', { filename: 'é.txt' }],
  ["attachment; filename*=utf-8''%C3%A9.txt; filename=\"fallback.txt\"", 'attachment', { filename: 'é.txt' }],
  // Charsets
  [`attachment; filename*=iso-8859-1''${pct(iconv.encode('résumé.pdf', 'latin1'))}`, 'attachment', { filename: 'résumé.pdf' }],
  [`attachment; filename*=ks_c_5601-1987''${pct(iconv.encode('문서.hwp', 'cp949'))}`, 'attachment', { filename: '문서.hwp' }],
  ["attachment; filename*=''%41%42.txt", 'attachment', { filename: 'AB.txt' }],
  ['attachment; filename*=%41B.txt', 'attachment', { filename: 'AB.txt' }],
  ["attachment; filename*=utf-8''100%.txt", 'attachment', { filename: '100%.txt' }],
  // RFC 2047 inside quotes (Outlook, Korean and Japanese mailers)
  [`attachment; filename="=?EUC-KR?B?${b64('보고서.doc', 'euc-kr')}?="`, 'attachment', { filename: '보고서.doc' }],
  [`attachment; filename="=?ks_c_5601-1987?B?${b64('한글.txt', 'cp949')}?="`, 'attachment', { filename: '한글.txt' }],
  [`attachment; filename="=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=.txt"`, 'attachment', { filename: '日本語.txt' }],
  ['attachment; filename="=?UTF-8?B?5pel5pys?= =?UTF-8?B?6Kqe?=.txt"', 'attachment', { filename: '日本語.txt' }],
  ['attachment; filename==?UTF-8?Q?caf=C3=A9.txt?=', 'attachment', { filename: 'café.txt' }],
  // Raw 8-bit, already decoded to a string
  ['attachment; filename="Grüße.pdf"', 'attachment', { filename: 'Grüße.pdf' }],
  ['attachment; filename=Grüße.pdf', 'attachment', { filename: 'Grüße.pdf' }],
  // Malformed shapes
  ['text/plain charset=utf-8', 'text/plain', { charset: 'utf-8' }],
  ['text/plain; charset=utf-8 format=flowed', 'text/plain', { charset: 'utf-8', format: 'flowed' }],
  ['attachment; filename="a.txt" size=10', 'attachment', { filename: 'a.txt', size: '10' }],
  ['attachment; filename=my file name.txt', 'attachment', { filename: 'my file name.txt' }],
  ['attachment; filename="unterminated.txt', 'attachment', { filename: 'unterminated.txt' }],
  ['attachment;; ; filename=a.txt;;', 'attachment', { filename: 'a.txt' }],
  ['attachment; filename=a.txt; filename=b.txt', 'attachment', { filename: 'a.txt' }],
  ['attachment; filename="C:\\Users\\me\\a.txt"', 'attachment', { filename: 'C:\\Users\\me\\a.txt' }],
  ['attachment; filename="say \\"hi\\".txt"', 'attachment', { filename: 'say "hi".txt' }],
  ['attachment; filename="a.txt"junk; size=1', 'attachment', { filename: 'a.txt', size: '1' }],
  ['attachment; novalue; filename=a.txt', 'attachment', { filename: 'a.txt' }],
  ['attachment; =oops; filename=a.txt', 'attachment', { filename: 'a.txt' }],
  ['attachment; FileName=A.TXT', 'attachment', { filename: 'A.TXT' }],
  ['attachment; filename=""', 'attachment', { filename: '' }],
  ['attachment; filename=my(1).txt', 'attachment', { filename: 'my(1).txt' }],
];

for (const [input, value, params] of cases) {
  test(`parseParamValue(${JSON.stringify(input).slice(0, 100)})`, () => {
    const r = parseParamValue(input);
    assert.equal(r.value, value);
    assert.deepEqual(r.params, params);
  });
}

const problemCases: [string, RegExp][] = [
  ['text/plain charset=utf-8', /Missing ";"/],
  ['attachment; filename="unterminated.txt', /Unterminated quoted string/],
  ['attachment; filename=a.txt; filename=b.txt', /Duplicate parameter "filename"/],
  ['attachment; filename*0="a"; filename*2="c"', /missing continuation/],
  ['attachment; novalue', /"novalue" has no value/],
  ['attachment; filename*=%41B.txt', /no charset/],
  ['attachment; filename="a.txt"junk', /Junk after parameter/],
];
for (const [input, want] of problemCases) {
  test(`parseParamValue(${JSON.stringify(input)}) reports ${want}`, () => {
    assert.match(parseParamValue(input).problems.join('\n'), want);
  });
}

test('parseParamValue reports nothing for a well-formed value', () => {
  assert.deepEqual(parseParamValue("attachment; filename*0*=utf-8''%C3%A9; filename*1=\".txt\"; size=3").problems, []);
});

test('parseParamValue keeps at most maxSegments segments per parameter', () => {
  const segs = Array.from({ length: 20 }, (_, i) => `name*${i}="${String.fromCharCode(97 + i)}"`).join('; ');
  const r = parseParamValue(`text/plain; ${segs}`, { maxSegments: 5 });
  assert.equal(r.params.name, 'abcde');
  assert.match(r.problems.join('\n'), /more than 5 segments/);
  const many = Array.from({ length: 5000 }, (_, i) => `n*${i}=x`).join(';');
  assert.equal(parseParamValue(`a/b;${many}`).params.n!.length, 1000);
});

test('parseParamValue stores "__proto__" as an ordinary parameter', () => {
  const r = parseParamValue('a/b; __proto__=x; constructor=y');
  assert.equal(Object.getPrototypeOf(r.params), Object.prototype);
  assert.equal(r.params['__proto__'], 'x');
  assert.equal(r.params.constructor, 'y');
});

test('parseParamValue example from the TSDoc', () => {
  assert.equal(parseParamValue("attachment; filename*=utf-8''%E2%82%AC.txt").params.filename, '€.txt');
});

test('parseParamValue is linear on hostile input', () => {
  const t = Date.now();
  parseParamValue('a/b; x=' + ' y'.repeat(100_000));
  parseParamValue('a/b' + '; x="'.repeat(50_000));
  parseParamValue('a/b; ' + '('.repeat(100_000));
  assert.ok(Date.now() - t < 3000);
});

const formatCases: [Record<string, string>, Parameters<typeof formatParams>[1], string[]][] = [
  [{ charset: 'utf-8' }, undefined, ['charset=utf-8']],
  [{ filename: 'my file.txt' }, undefined, ['filename="my file.txt"']],
  [{ filename: 'say "hi"\\.txt' }, undefined, ['filename="say \\"hi\\"\\\\.txt"']],
  [{ filename: '' }, undefined, ['filename=""']],
  [{ filename: 'a;b=c' }, undefined, ['filename="a;b=c"']],
  [{ filename: 'résumé.pdf' }, undefined, ["filename*=utf-8''r%C3%A9sum%C3%A9.pdf"]],
  [{ filename: 'résumé.pdf' }, { utf8: true }, ['filename="résumé.pdf"']],
  [
    { filename: 'résumé.pdf' },
    { rfc2047Fallback: true },
    ['filename="=?UTF-8?B?csOpc3Vtw6kucGRm?="', "filename*=utf-8''r%C3%A9sum%C3%A9.pdf"],
  ],
  [{ a: '1', b: 'x y' }, undefined, ['a=1', 'b="x y"']],
];
for (const [params, opts, want] of formatCases) {
  test(`formatParams(${JSON.stringify(params)}, ${JSON.stringify(opts)})`, () => {
    assert.deepEqual(formatParams(params, opts), want);
  });
}

test('formatParams example from the TSDoc', () => {
  assert.deepEqual(formatParams({ filename: 'résumé.pdf' }), ["filename*=utf-8''r%C3%A9sum%C3%A9.pdf"]);
});

test('formatParams splits a long non-ASCII value into numbered segments within 76 characters', () => {
  const name = '東京タワーからの眺め_2024年夏の旅行写真_最終版.jpg';
  const out = formatParams({ filename: name });
  assert.ok(out.length > 1);
  out.forEach((p, n) => {
    assert.ok(p.length <= 76, p);
    assert.ok(p.startsWith(`filename*${n}*=${n === 0 ? "utf-8''" : ''}`), p);
  });
  assert.equal(parseParamValue(`attachment; ${out.join('; ')}`).params.filename, name);
});

test('formatParams splits a very long ASCII value into quoted continuations', () => {
  const v = 'a'.repeat(1000);
  const out = formatParams({ filename: v });
  assert.ok(out.length > 1 && out.every((p) => p.length <= 76));
  assert.equal(parseParamValue(`attachment; ${out.join('; ')}`).params.filename, v);
});

const throwing: [Record<string, string>, RegExp][] = [
  [{ filename: 'a\r\nContent-Type: text/html' }, /^Cannot encode parameter "filename": value contains CR or LF$/],
  [{ filename: 'a\n' }, /value contains CR or LF/],
  [{ filename: 'a\0' }, /value contains NUL/],
  [{ 'file name': 'a' }, /not an RFC 2045 token/],
  [{ 'file*': 'a' }, /not an RFC 2045 token/],
  [{ 'a\r\nb': 'a' }, /value contains CR or LF/],
  [{ 'fïle': 'a' }, /not an RFC 2045 token/],
];
for (const [params, want] of throwing) {
  test(`formatParams(${JSON.stringify(params)}) throws ${want}`, () => {
    assert.throws(() => formatParams(params), (e: Error) => want.test(e.message));
  });
}

const value = fc.string({ unit: 'binary', maxLength: 120 }).map((s) => s.replace(/[\r\n\0]/g, '_'));

test('formatParams then parseParamValue gives the parameters back (property)', () => {
  fc.assert(
    fc.property(value, fc.boolean(), fc.boolean(), (v, rfc2047Fallback, utf8) => {
      const out = formatParams({ filename: v, size: '1' }, { rfc2047Fallback, utf8 });
      for (const p of out) if (!utf8) assert.ok(/^[\x20-\x7e]*$/.test(p), p);
      const r = parseParamValue(`attachment; ${out.join('; ')}`);
      assert.deepEqual(r.params, { filename: v, size: '1' });
    }),
    { numRuns: 500 },
  );
});

test('parseParamValue never throws on arbitrary text (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', '*', '0', '1', '=', ';', '"', "'", '%', ' ', '(', ')', '\\', '=?') }), (s) => {
      const r = parseParamValue(s);
      assert.equal(typeof r.value, 'string');
    }),
    { numRuns: 1000 },
  );
});
