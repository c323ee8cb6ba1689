import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { createBase64Encoder } from '../encodings/index.js';
import {
  crlf,
  encodeChunks,
  guardLines,
  guessCharset,
  hasBareLineBreak,
  hasLongLine,
  LineGuard,
  memoryBytes,
  openSource,
  peekSource,
  textFileEncoding,
} from './body.js';

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out);
}

function iter(chunks: Buffer[]): AsyncIterator<Buffer> {
  return (async function* () {
    yield* chunks;
  })();
}

test('crlf converts CRLF, bare LF and bare CR to CRLF', () => {
  assert.equal(crlf('a\nb\rc\r\nd\n\re'), 'a\r\nb\r\nc\r\nd\r\n\r\ne');
  assert.equal(crlf('a\nb\rc\r\n'), 'a\r\nb\r\nc\r\n');
});

test('LineGuard gives CRLF text for any split of the input and keeps CRLF input byte for byte', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', '\r', '\n', '\r\n', ' '), { maxLength: 60 }), fc.array(fc.nat(5), { maxLength: 8 }), (pieces, cuts) => {
      const input = Buffer.from(pieces.join(''), 'latin1');
      const chunks: Buffer[] = [];
      let at = 0;
      for (const c of cuts) {
        chunks.push(input.subarray(at, at + c));
        at = Math.min(input.length, at + c);
      }
      chunks.push(input.subarray(at));
      const g = new LineGuard({ sevenBit: true, what: 'x' });
      const out = Buffer.concat([...chunks.map((c) => g.push(c)), g.end()]).toString('latin1');
      assert.equal(out, crlf(pieces.join('')));
    }),
  );
  const same = Buffer.from('a\r\nb\r\n');
  assert.equal(new LineGuard({ sevenBit: true, what: 'x' }).push(same), same);
});

test('LineGuard throws on a line over 998 octets, NUL, and 8-bit bytes in 7-bit mode', () => {
  assert.throws(() => new LineGuard({ sevenBit: false, what: 'the message' }).push(Buffer.alloc(999, 0x61)), /the message has a line longer than 998 octets/);
  assert.doesNotThrow(() => new LineGuard({ sevenBit: false, what: 'm' }).push(Buffer.concat([Buffer.alloc(998, 0x61), Buffer.from('\r\n'), Buffer.alloc(998, 0x61)])));
  assert.throws(() => new LineGuard({ sevenBit: false, what: 'm' }).push(Buffer.from([0x61, 0])), /contains NUL/);
  assert.throws(() => new LineGuard({ sevenBit: true, what: 'm' }).push(Buffer.from('é')), /8-bit data/);
  assert.doesNotThrow(() => new LineGuard({ sevenBit: false, what: 'm' }).push(Buffer.from('é')));
});

test('guardLines yields canonical chunks of a stream', async () => {
  const out = await collect(guardLines(iter([Buffer.from('a\r'), Buffer.from('\nb\n'), Buffer.from('c\r')]), { sevenBit: true, what: 'm' }));
  assert.equal(out.toString(), 'a\r\nb\r\nc\r\n');
});

test('hasBareLineBreak and hasLongLine see RFC 2045 §2.7 violations', () => {
  assert.equal(hasBareLineBreak(Buffer.from('a\r\nb\r\n')), false);
  assert.equal(hasBareLineBreak(Buffer.from('a\nb')), true);
  assert.equal(hasBareLineBreak(Buffer.from('a\rb')), true);
  assert.equal(hasLongLine(Buffer.from(`${'x'.repeat(998)}\r\n${'y'.repeat(998)}`)), false);
  assert.equal(hasLongLine(Buffer.from(`a\r\n${'y'.repeat(999)}`)), true);
});

test('textFileEncoding keeps text attachment bytes exact', () => {
  assert.equal(textFileEncoding(Buffer.from('a\nb\n'), true, '7bit'), 'base64');
  assert.equal(textFileEncoding(Buffer.from('a\r\nb\r\n'), true, '7bit'), '7bit');
  assert.equal(textFileEncoding(Buffer.from('a\r\nb\r\n'), false, '7bit'), 'quoted-printable');
  assert.equal(textFileEncoding(Buffer.from('Grüße aus Köln und der ganzen Umgebung\r\n'), true, '7bit'), 'quoted-printable');
  assert.equal(textFileEncoding(Buffer.from('Grüße\r\n'), true, '8bit'), '8bit');
  assert.equal(textFileEncoding(Buffer.from('Grüße\r\n'), false, '8bit'), 'quoted-printable');
});

test('guessCharset says utf-8 only for valid 8-bit UTF-8, tolerating a sequence cut by the sample end', () => {
  assert.equal(guessCharset(Buffer.from('Grüße'), true), 'utf-8');
  assert.equal(guessCharset(Buffer.from('plain'), true), null);
  assert.equal(guessCharset(Buffer.from([0x47, 0xfc]), true), null);
  const cut = Buffer.from('Grüße €').subarray(0, -1);
  assert.equal(guessCharset(cut, false), 'utf-8');
  assert.equal(guessCharset(cut, true), null);
});

test('memoryBytes reads strings as UTF-8 and shares Uint8Array memory', () => {
  assert.equal(memoryBytes('hé')?.length, 3);
  const u = new Uint8Array([1, 2, 3]);
  const b = memoryBytes(u)!;
  u[0] = 9;
  assert.equal(b[0], 9);
  assert.equal(memoryBytes(Readable.from([])), null);
});

test('openSource and peekSource replay the sample before the rest of a stream', async () => {
  const src = await openSource(Readable.from(['ab', Buffer.from('cd'), new Uint8Array([0x65, 0x66])]));
  const { head, complete, rest } = await peekSource(src, 3);
  assert.equal(head.toString(), 'abcd');
  assert.equal(complete, false);
  const all: Buffer[] = [];
  for (let r = await rest.next(); r.done !== true; r = await rest.next()) all.push(r.value);
  assert.equal(Buffer.concat(all).toString(), 'abcdef');
  const small = await peekSource(await openSource('xyz'), 10);
  assert.deepEqual([small.head.toString(), small.complete], ['xyz', true]);
});

test('encodeChunks runs chunks through an encoder and flushes it', async () => {
  const out = await collect(encodeChunks(iter([Buffer.from('hello '), Buffer.from('world')]), createBase64Encoder()));
  assert.equal(out.toString(), 'aGVsbG8gd29ybGQ=\r\n');
  assert.equal((await collect(encodeChunks(iter([Buffer.from('as is')]), null))).toString(), 'as is');
});
