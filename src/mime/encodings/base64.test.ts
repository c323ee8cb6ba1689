import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createBase64Decoder, createBase64Encoder, decodeBase64, encodeBase64Lines } from './base64.js';
import type { BodyDecoder, BodyEncoder } from './body-codec.js';

/** Feeds `input` cut at `cuts` and checks that no returned buffer changes later (the codecs share output slabs). */
function feed(codec: BodyDecoder | BodyEncoder, input: Buffer, cuts: readonly number[]): Buffer {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const outs: Buffer[] = [];
  const copies: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, input.length]) {
    const out = codec.write(input.subarray(prev, p));
    outs.push(out);
    copies.push(Buffer.from(out));
    prev = p;
  }
  const tail = codec.end();
  outs.push(tail);
  copies.push(Buffer.from(tail));
  const whole = Buffer.concat(outs);
  assert.deepEqual(whole, Buffer.concat(copies), 'an output buffer changed after it was returned');
  return whole;
}

/** An independent model of the decoding rules: alphabet kept, '=' closes a segment, whitespace skipped, rest junk. */
function model(input: Buffer): { bytes: Buffer; problems: string[] } {
  const alphabet = /[A-Za-z0-9+/]/;
  const parts: Buffer[] = [];
  let seg = '';
  let junk = 0;
  let padOne = false;
  let endOne = false;
  const close = (): boolean => {
    const lone = seg.length % 4 === 1;
    parts.push(Buffer.from(lone ? seg.slice(0, -1) : seg, 'base64'));
    seg = '';
    return lone;
  };
  for (const ch of input.toString('latin1')) {
    if (alphabet.test(ch)) seg += ch;
    else if (ch === '=') padOne = close() || padOne;
    else if (!' \t\r\n'.includes(ch)) junk++;
  }
  endOne = close();
  const problems: string[] = [];
  if (junk > 0) problems.push(`Base64 body contains ${junk} invalid character${junk === 1 ? '' : 's'}`);
  if (padOne) problems.push('Base64 body contains a quantum of 1 character before padding');
  if (endOne) problems.push('Base64 body ends with an incomplete quantum');
  return { bytes: Buffer.concat(parts), problems };
}

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

test('decodeBase64 decodes the RFC 4648 §10 test vectors', () => {
  const vectors: [string, string][] = [
    ['', ''], ['Zg==', 'f'], ['Zm8=', 'fo'], ['Zm9v', 'foo'], ['Zm9vYg==', 'foob'], ['Zm9vYmE=', 'fooba'], ['Zm9vYmFy', 'foobar'],
  ];
  for (const [input, want] of vectors) {
    assert.deepEqual(decodeBase64(input), { bytes: Buffer.from(want), problems: [] }, input);
  }
});

test('decodeBase64 handles malformed input as RFC 2045 §6.8 and real mail need', () => {
  const cases: [string, string, string[]][] = [
    ['YW Jj\r\nZG\tVm', 'abcdef', []], // whitespace anywhere
    ['YW*Jj', 'abc', ['Base64 body contains 1 invalid character']],
    ['Y!W*J@j', 'abc', ['Base64 body contains 3 invalid characters']], // one problem per body, with the count
    ['YW-_Jj', 'abc', ['Base64 body contains 2 invalid characters']], // base64url is not the RFC 2045 alphabet
    ['YQ==YWJj', 'aabc', []], // data after padding (concatenated bodies)
    ['YQ=\r\n=\r\nYg==\r\n', 'ab', []],
    ['YWJjZA', 'abcd', []], // final quantum of 2 characters
    ['YWJjZGU', 'abcde', []], // final quantum of 3 characters
    ['YWJjZ', 'abc', ['Base64 body ends with an incomplete quantum']],
    ['Y=YWJj', 'abc', ['Base64 body contains a quantum of 1 character before padding']],
    ['===', '', []],
    ['\r\n', '', []],
  ];
  for (const [input, want, problems] of cases) {
    assert.deepEqual(decodeBase64(input), { bytes: Buffer.from(want, 'latin1'), problems }, JSON.stringify(input));
  }
});

test('decodeBase64 runs its TSDoc example', () => {
  assert.equal(decodeBase64('w6l0w6k=').bytes.toString(), 'été');
  assert.deepEqual(decodeBase64('YW*Jj').problems, ['Base64 body contains 1 invalid character']);
});

test('createBase64Decoder runs its TSDoc example', () => {
  const dec = createBase64Decoder();
  const parts = [dec.write(Buffer.from('SGVsbG8s\r\nIHdv')), dec.write(Buffer.from('cmxkIQ==\r\n')), dec.end()];
  assert.equal(Buffer.concat(parts).toString(), 'Hello, world!');
  assert.deepEqual(dec.problems, []);
});

test('createBase64Decoder matches Node on clean bodies of any line layout and chunking', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 6000 }),
      fc.constantFrom(4, 8, 57, 60, 64, 72, 76, 75, 77, 1000),
      fc.constantFrom('\r\n', '\n'),
      cutsArb,
      (bytes, lineLength, eol, cuts) => {
        const b64 = Buffer.from(bytes).toString('base64');
        const lines: string[] = [];
        for (let i = 0; i < b64.length; i += lineLength) lines.push(b64.slice(i, i + lineLength));
        const body = Buffer.from(lines.map((l) => l + eol).join(''), 'latin1');
        const dec = createBase64Decoder();
        assert.deepEqual(feed(dec, body, cuts), Buffer.from(body.toString('latin1'), 'base64'));
        assert.deepEqual(dec.problems, []);
      },
    ),
    { numRuns: 300 },
  );
});

test('createBase64Decoder equals the rule model on damaged bodies for any chunking', () => {
  const damage = fc.array(fc.tuple(fc.nat(), fc.constantFrom(' ', '\t', '\r\n', '*', '-', '_', '=', '==', '\x00', '\xe9', '')), {
    maxLength: 6,
  });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4000 }), damage, cutsArb, (bytes, edits, cuts) => {
      let text = encodeBase64Lines(Buffer.from(bytes)).toString('latin1');
      for (const [at, insert] of edits) {
        const p = at % (text.length + 1);
        // '' deletes one character, anything else is inserted.
        text = insert === '' ? text.slice(0, p) + text.slice(p + 1) : text.slice(0, p) + insert + text.slice(p);
      }
      const body = Buffer.from(text, 'latin1');
      const dec = createBase64Decoder();
      const got = feed(dec, body, cuts);
      assert.deepEqual({ bytes: got, problems: [...dec.problems] }, model(body));
    }),
    { numRuns: 400 },
  );
});

test('createBase64Decoder equals the rule model on arbitrary character soup for any chunking', () => {
  const soup = fc
    .array(fc.constantFrom(...'AZaz09+/QUFB====  \t\r\n\r\n*-_\x00\xff'.split('')), { maxLength: 300 })
    .map((cs) => Buffer.from(cs.join(''), 'latin1'));
  fc.assert(
    fc.property(soup, cutsArb, (body, cuts) => {
      const dec = createBase64Decoder();
      const got = feed(dec, body, cuts);
      assert.deepEqual({ bytes: got, problems: [...dec.problems] }, model(body));
    }),
    { numRuns: 500 },
  );
});

test('createBase64Decoder gives the same result one byte at a time as in one chunk', () => {
  const raw = Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) & 0xff));
  const text = encodeBase64Lines(raw).toString('latin1');
  const body = Buffer.from(`${text.slice(0, 9000)}*${text.slice(9000, 17000)}YQ==${text.slice(17000)}`, 'latin1');
  const dec = createBase64Decoder();
  const outs: Buffer[] = [];
  for (let i = 0; i < body.length; i++) outs.push(dec.write(body.subarray(i, i + 1)));
  outs.push(dec.end());
  assert.deepEqual({ bytes: Buffer.concat(outs), problems: [...dec.problems] }, decodeBase64(body));
  assert.deepEqual(decodeBase64(body), model(body));
});

test('createBase64Decoder decodes large regular and unwrapped bodies like Node', () => {
  const raw = Buffer.from(Array.from({ length: 400_000 }, (_, i) => (i * 2654435761) >>> 24));
  const wrapped = encodeBase64Lines(raw);
  const unwrapped = Buffer.from(raw.toString('base64'), 'latin1');
  for (const body of [wrapped, unwrapped]) {
    for (const size of [1000, 65536, 300_000, body.length]) {
      const dec = createBase64Decoder();
      const cuts = Array.from({ length: Math.ceil(body.length / size) }, (_, k) => k * size);
      assert.deepEqual(feed(dec, body, cuts), raw, `chunks of ${size}`);
      assert.deepEqual(dec.problems, []);
    }
  }
});

test('createBase64Decoder reports junk deep inside a large regular body', () => {
  const raw = Buffer.alloc(200_000, 0x41);
  const text = encodeBase64Lines(raw).toString('latin1');
  // A junk byte and a space inside lines, where the fast path must notice them.
  const body = Buffer.from(`${text.slice(0, 100_003)}\x01${text.slice(100_003, 150_001)} ${text.slice(150_001)}`, 'latin1');
  const got = decodeBase64(body);
  assert.deepEqual(got.bytes, raw);
  assert.deepEqual(got.problems, ['Base64 body contains 1 invalid character']);
});

test('encodeBase64Lines writes CRLF-terminated 76-character lines that Node decodes back', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const out = encodeBase64Lines(buf).toString('latin1');
      const b64 = buf.toString('base64');
      const want = (b64.match(/.{1,76}/g) ?? []).map((l) => `${l}\r\n`).join('');
      assert.equal(out, want);
    }),
    { numRuns: 200 },
  );
});

test('encodeBase64Lines runs its TSDoc example and honours lineLength', () => {
  assert.equal(encodeBase64Lines(Buffer.from('hello')).toString(), 'aGVsbG8=\r\n');
  assert.equal(encodeBase64Lines(Buffer.alloc(0)).length, 0);
  assert.equal(encodeBase64Lines(Buffer.from('abcdefgh'), 4).toString(), 'YWJj\r\nZGVm\r\nZ2g=\r\n');
  const big = encodeBase64Lines(Buffer.alloc(100_000, 7), 64).toString('latin1').split('\r\n');
  assert.equal(big.pop(), '');
  assert.ok(big.every((l, i) => l.length === 64 || i === big.length - 1));
});

test('createBase64Encoder throws a RangeError for a line length that is not a multiple of 4 from 4 to 76', () => {
  for (const lineLength of [0, 3, 6, 77, 80, 4.5]) {
    assert.throws(() => createBase64Encoder({ lineLength }), RangeError, String(lineLength));
    assert.throws(() => encodeBase64Lines(Buffer.from('x'), lineLength), RangeError, String(lineLength));
  }
});

test('createBase64Encoder runs its TSDoc examples', () => {
  const enc = createBase64Encoder({ lineLength: 8 });
  assert.equal(Buffer.concat([enc.write(Buffer.from('abcdefgh')), enc.end()]).toString(), 'YWJjZGVm\r\nZ2g=\r\n');
  const enc2 = createBase64Encoder();
  const out = Buffer.concat([enc2.write(Buffer.from('hello ')), enc2.write(Buffer.from('world')), enc2.end()]);
  assert.equal(out.toString(), 'aGVsbG8gd29ybGQ=\r\n');
});

test('createBase64Encoder output for any chunking equals encodeBase64Lines of the whole', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(4, 8, 64, 76), cutsArb, (bytes, lineLength, cuts) => {
      const buf = Buffer.from(bytes);
      assert.deepEqual(feed(createBase64Encoder({ lineLength }), buf, cuts), encodeBase64Lines(buf, lineLength));
    }),
    { numRuns: 300 },
  );
  const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i & 0xff));
  assert.deepEqual(feed(createBase64Encoder(), big, [1, 70_000, 70_001, 250_000]), encodeBase64Lines(big));
});
