import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MimeTokenizer, type PartNode } from './tokenizer.js';
import type { MimeLimits } from './limits.js';

interface Seen {
  path: string;
  mime: string;
  kind: string;
  body: string;
  offsets: { header: number; body: number; end: number };
  problems: string[];
}

/** Runs the tokenizer over `input` cut at the given sizes (repeating the last), and records what it saw. */
function scan(input: string | Buffer, sizes: number[] = [], limits?: Partial<MimeLimits>): { parts: Seen[]; tok: MimeTokenizer; order: string[] } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const bodies = new Map<PartNode, Buffer[]>();
  const order: string[] = [];
  const tok = new MimeTokenizer(
    {
      partStart: (n) => {
        order.push(`start ${n.path || '-'}`);
        bodies.set(n, []);
      },
      body: (n, c) => bodies.get(n)!.push(Buffer.from(c)),
      partEnd: (n) => order.push(`end ${n.path || '-'}`),
    },
    limits,
  );
  let pos = 0;
  let k = 0;
  while (pos < bytes.length) {
    const size = sizes.length === 0 ? bytes.length : sizes[Math.min(k++, sizes.length - 1)]!;
    tok.write(bytes.subarray(pos, pos + Math.max(1, size)));
    pos += Math.max(1, size);
  }
  tok.end();
  const parts = [...bodies].map(([n, b]) => ({
    path: n.path,
    mime: n.type.mime,
    kind: n.kind,
    body: Buffer.concat(b).toString('latin1'),
    offsets: { ...n.offsets },
    problems: [...n.problems],
  }));
  return { parts, tok, order };
}

const simple = [
  'From: a@x.test',
  'Content-Type: multipart/mixed; boundary="XX"',
  '',
  'preamble',
  '--XX',
  'Content-Type: text/plain',
  '',
  'hello',
  '-- ',
  'sig --XX',
  '--XX',
  'Content-Type: application/octet-stream',
  '',
  'AAAA',
  '--XX--',
  'epilogue',
  '',
].join('\r\n');

test('MimeTokenizer splits a multipart at its delimiters and gives each leaf its body without the delimiter line break', () => {
  const { parts, order } = scan(simple);
  assert.deepEqual(
    parts.map((p) => [p.path, p.mime, p.kind, p.body]),
    [
      ['', 'multipart/mixed', 'multipart', ''],
      ['1', 'text/plain', 'leaf', 'hello\r\n-- \r\nsig --XX'],
      ['2', 'application/octet-stream', 'leaf', 'AAAA'],
    ],
  );
  assert.deepEqual(order, ['start -', 'start 1', 'end 1', 'start 2', 'end 2', 'end -']);
});

test('MimeTokenizer records header, body and end offsets that slice the input exactly', () => {
  const { parts } = scan(simple);
  const raw = Buffer.from(simple, 'latin1');
  const leaf = parts[1]!;
  assert.equal(raw.toString('latin1', leaf.offsets.header, leaf.offsets.body), 'Content-Type: text/plain\r\n\r\n');
  assert.equal(raw.toString('latin1', leaf.offsets.body, leaf.offsets.end), leaf.body);
  assert.equal(raw.toString('latin1', leaf.offsets.end, leaf.offsets.end + 6), '\r\n--XX');
  assert.equal(parts[0]!.offsets.end, raw.length);
});

test('MimeTokenizer gives the same parts and offsets for every way of cutting the input into chunks', () => {
  const whole = scan(simple).parts;
  for (const size of [1, 2, 3, 5, 7, 13, 64]) assert.deepEqual(scan(simple, [size]).parts, whole, `chunk size ${size}`);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), (sizes) => {
      assert.deepEqual(scan(simple, sizes).parts, whole);
    }),
    { numRuns: 200 },
  );
});

test('MimeTokenizer reads LF-only messages like CRLF ones', () => {
  const lf = simple.replace(/\r\n/g, '\n');
  const parts = scan(lf).parts;
  assert.deepEqual(
    parts.map((p) => p.body),
    ['', 'hello\n-- \nsig --XX', 'AAAA'],
  );
  assert.deepEqual(scan(lf, [3]).parts, parts);
});

test('MimeTokenizer accepts transport padding after a boundary and a delimiter right after the header', () => {
  const msg = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b  \t\r\n\r\none\r\n--b-- \r\n';
  const { parts } = scan(msg);
  assert.deepEqual(
    parts.map((p) => p.body),
    ['', 'one'],
  );
});

test('MimeTokenizer takes a line that starts with the boundary for a delimiter and ignores the rest of it (RFC 2046 §5.1.1)', () => {
  // RFC 2046 §5.1.1, note to implementors: an exact match of the entire candidate line is not required.
  const msg = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b junk\r\n\r\none\r\n--bb\r\n\r\ntwo\r\n -b\r\n--b-- trailing\r\nepilogue\r\n';
  const { parts } = scan(msg);
  assert.deepEqual(
    parts.map((p) => p.body),
    ['', 'one', 'two\r\n -b'],
  );
  for (const size of [1, 2, 5]) assert.deepEqual(scan(msg, [size]).parts, parts, `chunk size ${size}`);
  // Whatever follows the boundary is looked at for at most 998 bytes: a longer line is body text.
  const long = `Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b${'y'.repeat(1000)}\r\n--b--\r\n`;
  assert.deepEqual(
    scan(long).parts.map((p) => p.body.length),
    [0, 1 + 2 + 3 + 1000],
  );
});

test('MimeTokenizer gives a line matching two open boundaries to the longer one, and a reused boundary to the innermost', () => {
  // Inner boundary "a" is a prefix of the outer "ab": the line "--ab" is the outer delimiter (as in Dovecot).
  const msg = [
    'Content-Type: multipart/mixed; boundary="ab"',
    '',
    '--ab',
    'Content-Type: multipart/mixed; boundary="a"',
    '',
    '--a',
    '',
    'inner',
    '--ab',
    '',
    'outer',
    '--ab--',
    '',
  ].join('\r\n');
  assert.deepEqual(
    scan(msg).parts.map((p) => [p.path, p.body]),
    [
      ['', ''],
      ['1', ''],
      ['1.1', 'inner'],
      ['2', 'outer'],
    ],
  );
  const reused = ['Content-Type: multipart/mixed; boundary=a', '', '--a', 'Content-Type: multipart/mixed; boundary=a', '', '--a', '', 'x', '--a--', '--a--', ''];
  assert.deepEqual(
    scan(reused.join('\r\n')).parts.map((p) => [p.path, p.body]),
    [
      ['', ''],
      ['1', ''],
      ['1.1', 'x'],
    ],
  );
});

test('MimeTokenizer ends an inner multipart before the line break that an enclosing delimiter follows (RFC 2046 §5.1.1)', () => {
  // close-delimiter transport-padding [CRLF epilogue]: with no epilogue the CRLF belongs to the outer delimiter.
  const msg = [
    'Content-Type: multipart/mixed; boundary=o',
    '',
    '--o',
    'Content-Type: multipart/mixed; boundary=i',
    '',
    '--i',
    '',
    'x',
    '--i--',
    '--o--',
    '',
  ].join('\r\n');
  const raw = Buffer.from(msg, 'latin1');
  for (const size of [raw.length, 1, 3, 7]) {
    const inner = scan(msg, [size]).parts[1]!;
    assert.equal(raw.toString('latin1', inner.offsets.header, inner.offsets.end).slice(-5), '--i--', `chunk size ${size}`);
  }
  const withEpilogue = msg.replace('--i--\r\n', '--i--\r\nepilogue\r\n');
  const inner = scan(withEpilogue).parts[1]!;
  assert.equal(withEpilogue.slice(inner.offsets.end - 10, inner.offsets.end), '\r\nepilogue');
});

test('MimeTokenizer finds a delimiter that follows an empty part in every chunking', () => {
  // The line break before the second delimiter ends the first delimiter line: it must survive a chunk border.
  const msg = 'Content-Type: multipart/mixed; boundary=":foo"\r\n\r\n--:foo\r\n--:foo\r\nContent-Type: text/plain\r\n\r\nx\r\n--:foo--\r\n';
  const whole = scan(msg).parts;
  assert.deepEqual(
    whole.map((p) => [p.path, p.body]),
    [
      ['', ''],
      ['1', ''],
      ['2', 'x'],
    ],
  );
  for (let size = 1; size <= msg.length; size++) assert.deepEqual(scan(msg, [size]).parts, whole, `chunk size ${size}`);
});

test('MimeTokenizer matches the inner boundary first when one boundary is a prefix of another', () => {
  const msg = [
    'Content-Type: multipart/mixed; boundary=abc',
    '',
    '--abc',
    'Content-Type: multipart/alternative; boundary=abcd',
    '',
    '--abcd',
    '',
    'inner',
    '--abcd--',
    '--abc',
    '',
    'outer',
    '--abc--',
  ].join('\r\n');
  assert.deepEqual(
    scan(msg).parts.map((p) => [p.path, p.body]),
    [
      ['', ''],
      ['1', ''],
      ['1.1', 'inner'],
      ['2', 'outer'],
    ],
  );
});

test('MimeTokenizer closes an inner multipart that lacks its close delimiter at the enclosing boundary, with a problem', () => {
  const msg = [
    'Content-Type: multipart/mixed; boundary=out',
    '',
    '--out',
    'Content-Type: multipart/alternative; boundary=in',
    '',
    '--in',
    '',
    'a',
    '--out',
    '',
    'b',
    '--out--',
    '',
  ].join('\r\n');
  const { parts } = scan(msg);
  assert.deepEqual(
    parts.map((p) => [p.path, p.body]),
    [
      ['', ''],
      ['1', ''],
      ['1.1', 'a'],
      ['2', 'b'],
    ],
  );
  assert.match(parts[1]!.problems.join(), /without its close delimiter/);
});

test('MimeTokenizer keeps the body of a multipart whose boundary never appears as text, with a problem', () => {
  const msg = 'Content-Type: multipart/mixed; boundary=nope\r\n\r\nvisible payload\r\n--other\r\nmore\r\n';
  for (const sizes of [[], [4]]) {
    const { parts } = scan(msg, sizes);
    assert.equal(parts.length, 1);
    assert.equal(parts[0]!.kind, 'leaf');
    assert.equal(parts[0]!.mime, 'text/plain');
    assert.equal(parts[0]!.body, 'visible payload\r\n--other\r\nmore\r\n');
    assert.match(parts[0]!.problems.join(), /never appears/);
  }
});

test('MimeTokenizer keeps a multipart without a boundary parameter as text', () => {
  const { parts } = scan('Content-Type: multipart/mixed\r\n\r\n--x\r\nhidden?\r\n');
  assert.deepEqual(
    parts.map((p) => [p.kind, p.body]),
    [['leaf', '--x\r\nhidden?\r\n']],
  );
  assert.match(parts[0]!.problems.join(), /no boundary/);
});

test('MimeTokenizer ends a header block without a blank line at the first line that is not a field', () => {
  const { parts } = scan('Subject: x\r\nthis is body\r\nmore\r\n');
  assert.equal(parts[0]!.body, 'this is body\r\nmore\r\n');
  assert.match(parts[0]!.problems.join(), /not ended by a blank line/);
});

test('MimeTokenizer parses message/rfc822 as a nested message with its own parts', () => {
  const msg = [
    'Content-Type: multipart/mixed; boundary=o',
    '',
    '--o',
    '',
    'intro',
    '--o',
    'Content-Type: message/rfc822',
    '',
    'Subject: inner',
    'Content-Type: multipart/alternative; boundary=i',
    '',
    '--i',
    '',
    'plain',
    '--i',
    'Content-Type: text/html',
    '',
    '<p>html</p>',
    '--i--',
    '--o--',
  ].join('\n');
  const { parts } = scan(msg, [5]);
  assert.deepEqual(
    parts.map((p) => [p.path, p.mime, p.kind, p.body]),
    [
      ['', 'multipart/mixed', 'multipart', ''],
      ['1', 'text/plain', 'leaf', 'intro'],
      ['2', 'message/rfc822', 'message', ''],
      ['2', 'multipart/alternative', 'multipart', ''],
      ['2.1', 'text/plain', 'leaf', 'plain'],
      ['2.2', 'text/html', 'leaf', '<p>html</p>'],
    ],
  );
});

test('MimeTokenizer defaults parts of multipart/digest to message/rfc822 (RFC 2046 §5.1.5)', () => {
  const msg = 'Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody one\n--d--\n';
  const { parts } = scan(msg);
  assert.deepEqual(
    parts.map((p) => [p.mime, p.kind, p.body]),
    [
      ['multipart/digest', 'multipart', ''],
      ['message/rfc822', 'message', ''],
      ['text/plain', 'leaf', 'body one'],
    ],
  );
});

test('MimeTokenizer stops nesting at maxDepth and keeps the rest as an opaque leaf', () => {
  const depth = 300;
  let msg = '';
  for (let i = 0; i < depth; i++) msg += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  msg += '\r\ndeep\r\n';
  const { parts, tok } = scan(msg, [], { maxDepth: 100 });
  assert.equal(Math.max(...parts.map((p) => p.path.split('.').length)), 100);
  const last = parts[parts.length - 1]!;
  assert.equal(last.kind, 'leaf');
  assert.match(last.body, /deep/);
  assert.match(tok.problems.join(), /Nesting depth limit/);
});

test('MimeTokenizer keeps everything after maxParts in one opaque part', () => {
  let msg = 'Content-Type: multipart/mixed; boundary=p\r\n\r\n';
  for (let i = 0; i < 50; i++) msg += `--p\r\n\r\npart ${i}\r\n`;
  msg += '--p--\r\n';
  const { parts, tok } = scan(msg, [], { maxParts: 10 });
  assert.equal(parts.length, 11);
  const last = parts[10]!;
  assert.match(last.body, /^\r\n--p\r\n\r\npart 9\r\n/); // from the line break of the delimiter on
  assert.match(last.body, /part 49/);
  assert.match(tok.problems.join(), /More than 10 parts/);
});

test('MimeTokenizer cuts a header block at maxHeaderBytes and keeps the rest as the body', () => {
  const big = 'X-Big: ' + 'a'.repeat(5000) + '\r\n\r\nbody\r\n';
  for (const sizes of [[], [100]]) {
    const { parts, tok } = scan(big, sizes, { maxHeaderBytes: 1000 });
    assert.equal(parts[0]!.offsets.body, 1000);
    assert.match(parts[0]!.body, /body\r\n$/);
    assert.match(tok.problems.join(), /exceeds 1000 bytes/);
  }
});

test('MimeTokenizer scans near-miss delimiters in linear time', () => {
  let body = '';
  for (let i = 0; i < 200_000; i++) body += '--boundar\r\n';
  const msg = `Content-Type: multipart/mixed; boundary=boundary\r\n\r\n--boundary\r\n\r\n${body}--boundary--\r\n`;
  const t0 = process.hrtime.bigint();
  const { parts } = scan(msg, [65536]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(parts[1]!.body.length, body.length - 2);
  assert.ok(ms < 20_000, `took ${ms} ms`);
});
