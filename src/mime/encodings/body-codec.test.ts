import test from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY, Slab } from './body-codec.js';
import { createBase64Decoder } from './base64.js';

test('EMPTY is what a decoder returns for a chunk that completes nothing (TSDoc example)', () => {
  assert.equal(createBase64Decoder().write(Buffer.from('YW')), EMPTY);
  assert.equal(EMPTY.length, 0);
});

test('Slab hands out regions that later reservations never overwrite', () => {
  const slab = new Slab();
  const buf = slab.reserve(3);
  buf.write('abc', slab.start, 'latin1');
  const first = slab.commit(slab.start + 3);
  assert.equal(first.toString(), 'abc'); // the TSDoc example
  const kept: [Buffer, string][] = [[first, 'abc']];
  for (let n = 1; n < 300_000; n = n * 3 + 1) {
    const out = slab.reserve(n);
    out.fill(0x78, slab.start, slab.start + n);
    const region = slab.commit(slab.start + n);
    kept.push([region, 'x'.repeat(n)]);
  }
  for (const [region, want] of kept) assert.equal(region.toString('latin1'), want);
  assert.equal(slab.commit(slab.start), EMPTY);
});
