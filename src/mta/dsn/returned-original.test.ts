import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { headerEnd } from '../../mime/index.js';
import { carriable, readHeaderBlock, readUpTo, returnedOriginal, wantsFull } from './returned-original.js';
import { original, queued } from '../../testing/dsn-kit.js';

/** A stream of `text` in chunks of `size` bytes that records how much was pulled and whether it was destroyed. */
function tracked(text: string | Buffer, size: number): { src: Readable; pulled: () => number; destroyed: () => boolean } {
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  let at = 0;
  const src = new Readable({
    highWaterMark: size,
    read() {
      if (at >= buf.length) return void this.push(null);
      this.push(buf.subarray(at, at + size));
      at += size;
    },
  });
  return { src, pulled: () => at, destroyed: () => src.destroyed };
}

test('returned-original TSDoc examples', async () => {
  assert.equal(wantsFull(undefined, ['failed', 'delivered']), true);
  assert.equal(wantsFull(undefined, ['delayed']), false);
  assert.equal(headerEnd(Buffer.from('A: 1\r\n\r\nbody')), 6);
  const { bytes, cut } = await readHeaderBlock(Readable.from([Buffer.from('A: 1\r\n\r\nbody')]), 1024);
  assert.equal(bytes.toString(), 'A: 1\r\n');
  assert.equal(cut, false);
  assert.equal(await readUpTo(Readable.from([Buffer.from('abc')]), 2), null);
  assert.equal(carriable(Buffer.from('A: 1\r\n\r\nhi\r\n')), true);
  assert.equal(carriable(Buffer.from('x'.repeat(999))), false);
});

const retCases: [Parameters<typeof wantsFull>[0], Parameters<typeof wantsFull>[1], boolean][] = [
  ['FULL', ['delivered'], true],
  ['FULL', ['delayed'], true],
  ['HDRS', ['failed'], false],
  [undefined, ['failed'], true],
  [undefined, ['delayed', 'relayed', 'expanded', 'delivered'], false],
];
for (const [ret, kinds, want] of retCases) {
  test(`wantsFull(${ret}, ${kinds.join('+')}) is ${want} (RFC 3461 §4.3, Postfix's default)`, () => assert.equal(wantsFull(ret, kinds), want));
}

for (const eol of ['\r\n', '\n']) {
  test(`readHeaderBlock finds the empty line across 1-byte chunks (${JSON.stringify(eol)}) and stops reading there`, async () => {
    const head = `A: 1${eol}B: 2${eol}`;
    const t = tracked(`${head}${eol}${'body line'.repeat(1000)}`, 1);
    const { bytes, cut } = await readHeaderBlock(t.src, 1 << 20);
    assert.equal(bytes.toString('latin1'), head);
    assert.equal(cut, false);
    assert.ok(t.pulled() < head.length + 40, `pulled ${t.pulled()} bytes`);
    assert.ok(t.destroyed());
  });
}

test('readHeaderBlock takes a message without an empty line as all header, and an empty header as empty', async () => {
  assert.equal((await readHeaderBlock(Readable.from([Buffer.from('A: 1\r\nB: 2')]), 100)).bytes.toString(), 'A: 1\r\nB: 2');
  assert.equal((await readHeaderBlock(Readable.from([Buffer.from('\r\nbody\r\n')]), 100)).bytes.length, 0);
});

test('readHeaderBlock cuts a header past the bound at a line end and reads a bounded amount', async () => {
  const line = 'X-Long: ' + 'y'.repeat(90) + '\r\n'; // 100 bytes
  const t = tracked(line.repeat(10_000) + '\r\nbody', 4096);
  const { bytes, cut } = await readHeaderBlock(t.src, 1050);
  assert.equal(cut, true);
  assert.equal(bytes.length, 1000);
  assert.ok(bytes.toString().endsWith('\r\n'));
  assert.ok(t.pulled() <= 1050 + 4096, `pulled ${t.pulled()}`);
  assert.ok(t.destroyed());
});

test('readUpTo reads a stream within the bound and stops past it', async () => {
  assert.equal((await readUpTo(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 3))?.toString(), 'abc');
  const t = tracked('x'.repeat(100_000), 1000);
  assert.equal(await readUpTo(t.src, 5000), null);
  assert.ok(t.pulled() <= 7000 && t.destroyed());
});

test('carriable refuses NUL and lines over 998 octets, allows 8-bit data and 998-octet lines', () => {
  assert.equal(carriable(Buffer.from('a\0b')), false);
  assert.equal(carriable(Buffer.from(`${'x'.repeat(998)}\r\n${'y'.repeat(998)}`)), true);
  assert.equal(carriable(Buffer.from(`ok\n${'x'.repeat(999)}\nok`)), false);
  assert.equal(carriable(Buffer.from('Grüße\r\n')), true);
});

test('returnedOriginal returns the whole message, or the header for RET=HDRS, the size cap, BINARYMIME and long lines', async () => {
  const small = await queued();
  assert.deepEqual(await returnedOriginal(small.item, ['failed'], small.body), { kind: 'full', content: Buffer.from(original()) });
  const hdrs = await queued({ env: { ret: 'HDRS' } });
  const h = await returnedOriginal(hdrs.item, ['failed'], hdrs.body);
  assert.equal(h.kind === 'headers' && h.reason, 'ret');
  assert.ok(h.content.toString().endsWith('Date: Sun, 01 Mar 2026 08:00:00 +0000\r\n'));
  const big = await queued({ message: original({ body: 'z'.repeat(80) + '\r\n'.repeat(1000) }) });
  const b = await returnedOriginal(big.item, ['failed'], big.body, { maxFullBytes: 1000 });
  assert.equal(b.kind === 'headers' && b.reason, 'size');
  const bin = await queued({ env: { body: 'BINARYMIME' } });
  assert.equal((await returnedOriginal(bin.item, ['failed'], bin.body)).kind, 'headers');
  const long = await queued({ message: original({ body: 'w'.repeat(2000) + '\r\n' }) });
  const l = await returnedOriginal(long.item, ['failed'], long.body);
  assert.equal(l.kind === 'headers' && l.reason, 'unsafe');
  const full = await queued({ env: { ret: 'FULL' } });
  assert.equal((await returnedOriginal(full.item, ['delayed'], full.body)).kind, 'full');
});

test('returnedOriginal never reads past the cap when the stored size is wrong', async () => {
  const { item } = await queued();
  const t = tracked(original() + 'x\r\n'.repeat(100_000), 1024);
  const r = await returnedOriginal(item, ['failed'], async () => tracked(original() + 'x\r\n'.repeat(100_000), 1024).src, { maxFullBytes: 2000 });
  assert.equal(r.kind === 'headers' && r.reason, 'size');
  assert.equal(await readUpTo(t.src, 2000), null);
  assert.ok(t.pulled() <= 2000 + 1024);
});
