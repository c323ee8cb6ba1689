import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatHeader } from './fold.js';
import { decodeWords } from './encoded-word.js';

/** RFC 5322 §2.2.3 unfolding, done here without the code under test. */
const unfold = (s: string): string => s.replace(/\r\n(?=[ \t])/g, '');
const valueOf = (line: string): string => unfold(line).replace(/^[^:]*: ?/, '');

const long = 'The quick brown fox jumps over the lazy dog and keeps running far beyond the line limit';

const cases: [string, string, Parameters<typeof formatHeader>[2], string][] = [
  ['Subject', 'Hello', undefined, 'Subject: Hello'],
  ['Subject', '', undefined, 'Subject:'],
  ['Subject', 'Grüße', undefined, 'Subject: =?UTF-8?B?R3LDvMOfZQ==?='],
  ['Subject', 'Grüße', { utf8: true }, 'Subject: Grüße'],
  [
    'Subject',
    long,
    undefined,
    'Subject: The quick brown fox jumps over the lazy dog and keeps running far\r\n beyond the line limit',
  ],
  [
    'To',
    'a@x.test, b@x.test, c@x.test, d@x.test, e@x.test, f@x.test, g@x.test, h@x.test',
    { structured: true },
    'To: a@x.test, b@x.test, c@x.test, d@x.test, e@x.test, f@x.test, g@x.test,\r\n h@x.test',
  ],
  ['X-Spaces', 'a   b', undefined, 'X-Spaces: a   b'],
  ['X-Trailing', 'a  ', undefined, 'X-Trailing: a  '],
  ['Subject', 'Say =?x?q?y?= please', undefined, 'Subject: Say =?UTF-8?B?PT94P3E/eT89?= please'],
  // A word longer than the line: kept whole on its own line, never split.
  ['References', `<${'x'.repeat(90)}@x.test> <a@x.test>`, { structured: true }, `References: <${'x'.repeat(90)}@x.test>\r\n <a@x.test>`],
  ['Subject', `a ${'y'.repeat(80)} b`, undefined, `Subject: a\r\n ${'y'.repeat(80)}\r\n b`],
];

for (const [name, value, opts, want] of cases) {
  test(`formatHeader(${JSON.stringify(name)}, ${JSON.stringify(value).slice(0, 60)}, ${JSON.stringify(opts)})`, () => {
    assert.equal(formatHeader(name, value, opts), want);
  });
}

test('formatHeader example from the TSDoc', () => {
  assert.equal(formatHeader('Subject', 'Ein schöner Tag'), 'Subject: Ein =?UTF-8?Q?sch=C3=B6ner?= Tag');
});

test('formatHeader sizes the first encoded word to fit the first line', () => {
  const line = formatHeader('Subject', 'ü'.repeat(60));
  const lines = line.split('\r\n');
  assert.ok(lines[0]!.startsWith('Subject: =?UTF-8?'));
  for (const l of lines) assert.ok(l.length <= 78, l);
  assert.equal(decodeWords(valueOf(line)).text, 'ü'.repeat(60));
});

test('formatHeader encodes an unstructured word longer than 998 octets instead of exceeding the limit', () => {
  const word = 'z'.repeat(2000);
  const line = formatHeader('Subject', word);
  for (const l of line.split('\r\n')) assert.ok(l.length <= 78, `${l.length}`);
  assert.equal(decodeWords(valueOf(line)).text, word);
});

test('formatHeader throws when a structured word cannot fit in 998 octets', () => {
  assert.throws(() => formatHeader('References', `<${'x'.repeat(1000)}@x.test>`, { structured: true }), /998 octets/);
});

test('formatHeader splits a whitespace run too long for one line', () => {
  const value = `a${' '.repeat(1500)}b`;
  const line = formatHeader('X-Pad', value, { structured: true });
  for (const l of line.split('\r\n')) assert.ok(l.length <= 998);
  assert.equal(valueOf(line), value);
});

const throwing: [string, string, Parameters<typeof formatHeader>[2], RegExp][] = [
  ['Subject', 'Hi\r\nBcc: victim@x.test', undefined, /^Error: Cannot encode header "Subject": value contains CR or LF$/],
  ['Subject', 'Hi\nthere', undefined, /value contains CR or LF/],
  ['Subject', 'Hi\rthere', { utf8: true }, /value contains CR or LF/],
  ['Subject', 'Hi\0', undefined, /value contains NUL/],
  ['Bad Name', 'x', undefined, /field name must be printable ASCII/],
  ['Bad:Name', 'x', undefined, /field name/],
  ['', 'x', undefined, /field name/],
  ['Sübject', 'x', undefined, /field name/],
  ['X\r\nBcc', 'x', undefined, /Cannot encode header "X\\r\\nBcc": value contains CR or LF/],
  ['To', 'Jörg <j@x.test>', { structured: true }, /structured value contains non-ASCII/],
];
for (const [name, value, opts, want] of throwing) {
  test(`formatHeader(${JSON.stringify(name)}, ${JSON.stringify(value)}) throws ${want}`, () => {
    assert.throws(() => formatHeader(name, value, opts), (e: Error) => want.test(String(e)));
  });
}

const words = fc.array(
  fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }),
    fc.constantFrom('é', '日本語', '😀😀', 'Re:', '=?', 'a_b'),
  ),
  { maxLength: 30 },
);
const sep = fc.constantFrom(' ', '  ', '\t', ' \t ');
const value = fc.tuple(words, sep).map(([ws, s]) => ws.map((w) => w.replace(/[\s\0]/g, 'x')).join(s));

test('formatHeader folds lines within 78 columns and unfolds to the value (property)', () => {
  fc.assert(
    fc.property(value, fc.constantFrom('Subject', 'X-Long-Header-Name-For-Testing', 'To'), (v, name) => {
      const line = formatHeader(name, v);
      for (const l of line.split('\r\n')) {
        assert.ok(l.length <= 78, `${l.length}: ${l}`);
        assert.ok(/^[\x20-\x7e\t]*$/.test(l), 'non-ASCII in a non-SMTPUTF8 header');
        assert.ok(/[^ \t]/.test(l), 'whitespace-only line');
      }
      assert.ok(!line.endsWith('\r\n'));
      assert.equal(decodeWords(valueOf(line)).text, v);
    }),
    { numRuns: 500 },
  );
});

test('formatHeader in utf8 mode keeps raw UTF-8 and lines within 78 octets where words allow (property)', () => {
  fc.assert(
    fc.property(value, (v) => {
      const line = formatHeader('Subject', v, { utf8: true });
      for (const l of line.split('\r\n')) {
        const words = l.split(/[ \t]+/);
        if (words.every((w) => Buffer.byteLength(w) < 70)) assert.ok(Buffer.byteLength(l) <= 78, l);
      }
      assert.equal(decodeWords(valueOf(line)).text, v);
    }),
    { numRuns: 300 },
  );
});
