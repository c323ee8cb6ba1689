import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createQpEncoder, encodeQp, encodeQWord } from './qp-encode.js';
import { decodeQp } from './qp.js';

function feed(input: Buffer, cuts: readonly number[], opts?: { binary?: boolean; lineLength?: number }): Buffer {
  const enc = createQpEncoder(opts);
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const outs: Buffer[] = [];
  const copies: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, input.length]) {
    outs.push(enc.write(input.subarray(prev, p)));
    copies.push(Buffer.from(outs[outs.length - 1]!));
    prev = p;
  }
  outs.push(enc.end());
  copies.push(Buffer.from(outs[outs.length - 1]!));
  assert.deepEqual(Buffer.concat(outs), Buffer.concat(copies), 'an output buffer changed after it was returned');
  return Buffer.concat(outs);
}

/** Text mode's canonical form: every line break (CRLF, bare LF, bare CR) as CRLF. */
function crlf(input: Buffer): Buffer {
  return Buffer.from(input.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

/** Checks the RFC 2045 §6.7 shape of every output line; returns nothing, throws on the first bad line. */
function checkShape(out: Buffer, lineLength: number): void {
  const text = out.toString('latin1');
  assert.doesNotMatch(text, /\r(?!\n)|(?<!\r)\n/, 'only CRLF line breaks');
  for (const line of text.split('\r\n')) {
    assert.ok(line.length <= lineLength, `line longer than ${lineLength}: ${JSON.stringify(line)}`);
    // Printable ASCII but '=', SP/HT not last, =XX triplets whole, a soft-break '=' only at the end.
    assert.match(line, /^(?:[\x21-\x3c\x3e-\x7e]|[ \t](?!$)|=[0-9A-F]{2})*=?$/, JSON.stringify(line));
    assert.ok(!line.startsWith('.') && !line.startsWith('From '), `unsafe line start: ${JSON.stringify(line)}`);
  }
}

const textArb = fc
  .array(fc.constantFrom('a', 'F', 'From ', 'rom', '.', ' ', '\t', '=', '\r', '\n', '\r\n', 'é', '\x00', 'xxxxxxxxxxxxxxxxxxxx'), {
    maxLength: 80,
  })
  .map((parts) => Buffer.from(parts.join('')));
const bytesArb = fc.oneof(textArb, fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)));
const cutsArb = fc.array(fc.nat(), { maxLength: 10 });

test('encodeQp encodes the hand-written RFC 2045 §6.7 vectors', () => {
  const cases: [string, string][] = [
    ['plain text\r\n', 'plain text\r\n'],
    ['a=b', 'a=3Db'], // rule 1: '=' is always escaped
    ['\x0c', '=0C'],
    ['café', 'caf=C3=A9'],
    ['end \r\ntab\t\r\nlast ', 'end=20\r\ntab=09\r\nlast=20'], // rule 3
    ['in the middle', 'in the middle'],
    ['lf\nonly\rcr\r\n', 'lf\r\nonly\r\ncr\r\n'], // rule 4: breaks become CRLF
    ['.\r\n..x\r\nFrom me\r\nFrom\r\nFromage', '=2E\r\n=2E.x\r\n=46rom me\r\nFrom\r\nFromage'],
    ['x'.repeat(76), 'x'.repeat(76)], // 76 characters fit when no soft break is needed
    ['x'.repeat(77), `${'x'.repeat(75)}=\r\nxx`], // rule 5: soft break, the '=' included in 76
    [`${'x'.repeat(74)}é`, `${'x'.repeat(74)}=\r\n=C3=A9`], // an =XX triplet is never split
    [`${'x'.repeat(75)} \r\n`, `${'x'.repeat(75)}=\r\n=20\r\n`],
    [`${'x'.repeat(75)}.y`, `${'x'.repeat(75)}=\r\n=2Ey`], // continuation lines are guarded too
  ];
  for (const [input, want] of cases) {
    assert.equal(encodeQp(Buffer.from(input)).toString('latin1'), want, JSON.stringify(input));
  }
});

test('encodeQp in binary mode escapes CR and LF', () => {
  assert.equal(encodeQp(Buffer.from('a\r\nb\n'), { binary: true }).toString(), 'a=0D=0Ab=0A');
  assert.equal(encodeQp(Buffer.from('a \r\n'), { binary: true }).toString(), 'a =0D=0A');
});

test('encodeQp runs its TSDoc example', () => {
  assert.equal(encodeQp(Buffer.from('a=b\r\nFrom me')).toString(), 'a=3Db\r\n=46rom me');
  assert.equal(encodeQp(Buffer.from('x\r\n'), { binary: true }).toString(), 'x=0D=0A');
});

test('createQpEncoder runs its TSDoc example', () => {
  const enc = createQpEncoder();
  const out = Buffer.concat([enc.write(Buffer.from('café \n')), enc.write(Buffer.from('.end')), enc.end()]);
  assert.equal(out.toString(), 'caf=C3=A9=20\r\n=2Eend');
});

test('createQpEncoder output decodes back to the input (text mode: with CRLF line breaks)', () => {
  fc.assert(
    fc.property(bytesArb, fc.boolean(), cutsArb, (input, binary, cuts) => {
      const decoded = decodeQp(feed(input, cuts, { binary }));
      assert.deepEqual(decoded, { bytes: binary ? input : crlf(input), problems: [] });
    }),
    { numRuns: 1000 },
  );
});

test('createQpEncoder keeps every line within lineLength, whole triplets and safe line starts', () => {
  fc.assert(
    fc.property(bytesArb, fc.boolean(), fc.integer({ min: 4, max: 76 }), (input, binary, lineLength) => {
      const out = feed(input, [], { binary, lineLength });
      checkShape(out, lineLength);
      assert.deepEqual(decodeQp(out).bytes, binary ? input : crlf(input));
    }),
    { numRuns: 1000 },
  );
});

test('createQpEncoder output for any chunking equals the output for one chunk', () => {
  fc.assert(
    fc.property(bytesArb, fc.boolean(), cutsArb, (input, binary, cuts) => {
      assert.deepEqual(feed(input, cuts, { binary }), feed(input, [], { binary }));
    }),
    { numRuns: 1000 },
  );
  const text = Buffer.from('From here.\r\n.\r\nline with trailing  \r\n'.repeat(40));
  const oneByOne = Array.from({ length: text.length }, (_, i) => i);
  assert.deepEqual(feed(text, oneByOne), encodeQp(text));
});

test('createQpEncoder throws a RangeError for a line length outside 4 to 76', () => {
  for (const lineLength of [0, 3, 77, 10.5]) {
    assert.throws(() => createQpEncoder({ lineLength }), RangeError, String(lineLength));
  }
});

test('encodeQWord escapes all but the RFC 2047 §5 (3) safe set and writes spaces as "_"', () => {
  const cases: [string, string][] = [
    ['café au lait?', 'caf=C3=A9_au_lait=3F'], // the TSDoc example
    ['AZaz09!*+-/', 'AZaz09!*+-/'],
    ['a_b=c', 'a=5Fb=3Dc'],
    ['"(),.:;<>@[\\]', '=22=28=29=2C=2E=3A=3B=3C=3E=40=5B=5C=5D'],
    ['\t\r\n', '=09=0D=0A'],
    ['', ''],
  ];
  for (const [input, want] of cases) assert.equal(encodeQWord(Buffer.from(input)), want, JSON.stringify(input));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const word = encodeQWord(Buffer.from(bytes));
      assert.match(word, /^[A-Za-z0-9!*+\-/_=]*$/);
      assert.deepEqual(decodeQp(word, { encodedWord: true }), { bytes: Buffer.from(bytes), problems: [] });
    }),
  );
});
