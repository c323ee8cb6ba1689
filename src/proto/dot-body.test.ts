import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { DotDecoder, DotStuffer, dotStuff } from './dot-body.js';

/** Decodes `input` fed in `chunks` pieces; returns the output, the bytes consumed, and the flags. */
function decode(input: string, opts: { normalize?: boolean; cuts?: number[] } = {}) {
  const d = new DotDecoder(opts.normalize ?? false);
  const bytes = Buffer.from(input, 'latin1');
  const cuts = [...(opts.cuts ?? []), bytes.length].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  let consumed = 0;
  for (const cut of cuts) {
    if (d.done || cut <= at) continue;
    consumed += d.decode(bytes.subarray(at, cut), out);
    at = cut;
  }
  return { text: Buffer.concat(out).toString('latin1'), consumed, done: d.done, bare: d.bareNewline };
}

const cases: [string, string, { text: string; done: boolean; bare: boolean }][] = [
  ['empty body', '.\r\n', { text: '', done: true, bare: false }],
  ['one line', 'hi\r\n.\r\n', { text: 'hi\r\n', done: true, bare: false }],
  ['dot-stuffed line', '..hi\r\n.\r\n', { text: '.hi\r\n', done: true, bare: false }],
  ['double dot alone', '..\r\n.\r\n', { text: '.\r\n', done: true, bare: false }],
  ['dot inside a line', 'a.b\r\n.\r\n', { text: 'a.b\r\n', done: true, bare: false }],
  ['the rest stays unread', 'a\r\n.\r\nQUIT\r\n', { text: 'a\r\n', done: true, bare: false }],
  // SMTP smuggling (CVE-2023-51764 class): none of these end the body.
  ['<LF>.<LF> is content', 'a\n.\nMAIL FROM:<x@y>\r\n', { text: 'a\n.\nMAIL FROM:<x@y>\r\n', done: false, bare: true }],
  ['<CR>.<CR> is content', 'a\r.\rb\r\n', { text: 'a\r.\rb\r\n', done: false, bare: true }],
  ['<LF>.<CR><LF> is content', 'a\n.\r\nb\r\n', { text: 'a\n.\r\nb\r\n', done: false, bare: true }],
  ['<CR><LF>.<LF> is content', 'a\r\n.\nb\r\n', { text: 'a\r\n.\nb\r\n', done: false, bare: true }],
  ['<CR><LF>.<CR> then text is content', 'a\r\n.\rb\r\n', { text: 'a\r\n.\rb\r\n', done: false, bare: true }],
  ['bare LF line ends', 'a\nb\n', { text: 'a\nb\n', done: false, bare: true }],
  ['bare CR at a chunk end then CRLF', 'a\r\r\n', { text: 'a\r\r\n', done: false, bare: true }],
];

for (const [name, input, want] of cases) {
  test(`DotDecoder.decode: ${name}`, () => {
    const got = decode(input);
    assert.deepEqual({ text: got.text, done: got.done, bare: got.bare }, want);
    // Any chunking gives the same result.
    for (let cut = 1; cut < input.length; cut++) {
      const split = decode(input, { cuts: [cut] });
      assert.deepEqual({ text: split.text, done: split.done, bare: split.bare }, want, `cut at ${cut}`);
    }
  });
}

test('DotDecoder.decode consumes up to and including the terminator only', () => {
  assert.equal(decode('a\r\n.\r\nQUIT\r\n').consumed, 6);
});

test('DotDecoder with normalize turns bare LF and bare CR into CRLF, and they never end the body', () => {
  assert.deepEqual(decode('a\nb\rc\r\n.\r\n', { normalize: true }), { text: 'a\r\nb\r\nc\r\n', consumed: 10, done: true, bare: true });
  const smuggle = decode('a\n.\nb\r\n.\r\n', { normalize: true });
  assert.equal(smuggle.text, 'a\r\n.\r\nb\r\n');
  assert.equal(smuggle.done, true);
  assert.equal(decode('a\r\n.\nb\r\n.\r\n', { normalize: true }).text, 'a\r\n.\r\nb\r\n');
  assert.equal(decode('a\r\n.\rb\r\n.\r\n', { normalize: true }).text, 'a\r\n.\r\nb\r\n');
});

async function stuff(body: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(body),
    dotStuff(),
    new Writable({
      write(c: Buffer, _e, done) {
        out.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

test('dotStuff doubles leading dots, adds a missing CRLF and the terminator', async () => {
  assert.equal((await stuff([Buffer.from('.a\r\nb')])).toString(), '..a\r\nb\r\n.\r\n');
  assert.equal((await stuff([Buffer.from('a\r\n'), Buffer.from('.b\r\n')])).toString(), 'a\r\n..b\r\n.\r\n');
  assert.equal((await stuff([])).toString(), '.\r\n');
});

test('DotDecoder reverses dotStuff for any CRLF body and any chunking', async () => {
  const line = fc.stringMatching(/^[.a\r]{0,6}$/).map((s) => s.replace(/\r/g, 'x'));
  await fc.assert(
    fc.asyncProperty(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(60), { maxLength: 5 }), async (lines, cuts) => {
      const body = lines.map((l) => `${l}\r\n`).join('');
      const wire = (await stuff([Buffer.from(body)])).toString('latin1');
      const got = decode(wire, { cuts });
      assert.equal(got.text, body);
      assert.equal(got.done, true);
      assert.equal(got.consumed, wire.length);
    }),
    { numRuns: 300 },
  );
});

test('dotStuff output passes through a PassThrough unchanged in length accounting', async () => {
  const p = new PassThrough();
  p.end(await stuff([Buffer.from('x\r\n')]));
  assert.equal((await p.toArray()).join(''), 'x\r\n.\r\n');
});

/** A byte-at-a-time reference of the decoder's rules, to check the optimized one against. */
function reference(input: string, normalize: boolean): { text: string; consumed: number; done: boolean; bare: boolean } {
  let state: 'S' | 'D' | 'DC' | 'M' | 'C' = 'S';
  let out = '';
  let bare = false;
  const bareLf = () => ((bare = true), (out += normalize ? '\r\n' : '\n'));
  for (let i = 0; i < input.length; i++) {
    const b = input[i]!;
    if (state === 'DC') {
      if (b === '\n') return { text: out, consumed: i + 1, done: true, bare };
      out += normalize ? '.\r\n' : '.\r';
      bare = true;
      state = 'M';
    }
    if (state === 'C' && b !== '\n') {
      bare = true;
      if (normalize) out += '\n';
      state = 'M';
    }
    switch (state) {
      case 'S':
        if (b === '.') state = 'D';
        else if (b === '\r') (out += b), (state = 'C');
        else if (b === '\n') bareLf(), (state = 'M');
        else (out += b), (state = 'M');
        break;
      case 'D':
        if (b === '\r') state = 'DC';
        else if (b === '\n') (out += '.'), bareLf(), (state = 'M');
        else (out += b), (state = b === '\r' ? 'C' : 'M');
        break;
      case 'C':
        out += b; // the LF of a CRLF
        state = 'S';
        break;
      default:
        if (b === '\r') (out += b), (state = 'C');
        else if (b === '\n') bareLf();
        else out += b;
    }
  }
  return { text: out, consumed: input.length, done: false, bare };
}

test('DotDecoder matches a byte-at-a-time reference on any input, chunking and mode', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[.\r\na]{0,40}$/), fc.array(fc.nat(40), { maxLength: 4 }), fc.boolean(), (input, cuts, normalize) => {
      assert.deepEqual(decode(input, { normalize, cuts }), reference(input, normalize));
    }),
    { numRuns: 3000 },
  );
});

/** The rule written the slow way, one byte at a time (the reference for DotStuffer). */
function stuffByteByByte(input: Buffer): string {
  let out = '';
  let atLineStart = true;
  for (const b of input) {
    if (atLineStart && b === 0x2e) out += '.';
    out += String.fromCharCode(b);
    atLineStart = b === 0x0a;
  }
  const last = input.length > 0 ? input[input.length - 1] : -1;
  return out + (last === -1 || last === 0x0a ? '.\r\n' : last === 0x0d ? '\n.\r\n' : '\r\n.\r\n');
}

for (const text of ['', '.', '..', 'a', '.a\r\n.b\r\n', 'a\r\n.\r\n', 'x\r\n..\r\n.y', 'no end', 'cr end\r', 'lf end\n', '\n.\n.\n', 'a.b\r\nc.\r\n', '\r\n.\r\n.\r\n']) {
  test(`DotStuffer stuffs ${JSON.stringify(text)} as the byte-by-byte rule does, in any chunking`, () => {
    const input = Buffer.from(text, 'latin1');
    for (const size of [1, 2, 3, 5, 64]) {
      const s = new DotStuffer();
      const out: Buffer[] = [];
      for (let i = 0; i < input.length; i += size) out.push(s.push(input.subarray(i, i + size)));
      out.push(s.end());
      assert.equal(Buffer.concat(out).toString('latin1'), stuffByteByByte(input), `chunks of ${size}`);
    }
  });
}

test('DotStuffer passes a chunk without a line-start dot through without copying', () => {
  const s = new DotStuffer();
  const chunk = Buffer.from('Subject: x\r\n\r\nbody.\r\n');
  assert.equal(s.push(chunk), chunk);
});

test('DotStuffer example from its TSDoc', () => {
  const s = new DotStuffer();
  assert.equal(Buffer.concat([s.push(Buffer.from('.a\r\n.')), s.push(Buffer.from('b')), s.end()]).toString(), '..a\r\n..b\r\n.\r\n');
});
