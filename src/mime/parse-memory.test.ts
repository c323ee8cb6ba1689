import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parts } from './parse.js';

const MiB = 1024 * 1024;

// A full collection on demand, every 16 MiB of body read: the peak then measures what the parser holds, not how far
// the collector lags behind. Measured: 19 MiB of growth alone, once 70 MiB with other test files running beside it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A ~100 MB message: a text part and a base64 attachment of pseudo-random bytes, produced lazily. */
function* hugeMessage(rawBytes: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  yield Buffer.from(
    'From: big@x.test\r\nContent-Type: multipart/mixed; boundary="=_big"\r\n\r\n--=_big\r\n\r\nsee attachment\r\n' +
      '--=_big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n',
  );
  let seed = 12345;
  const block = Buffer.alloc(57 * 4096);
  for (let done = 0; done < rawBytes; done += block.length) {
    for (let i = 0; i < block.length; i += 4) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      block.writeUInt32LE(seed, i);
    }
    hash.update(block);
    // 76-column lines written straight into one Buffer: no large strings that only a major GC frees.
    const out = Buffer.allocUnsafe((block.length / 57) * 78);
    let o = 0;
    for (let i = 0; i < block.length; i += 57) {
      o += out.write(block.toString('base64', i, i + 57), o, 'latin1');
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    }
    yield out;
  }
  yield Buffer.from('--=_big--\r\n');
}

test('parts streams a 100 MB message with peak RSS growth under 64 MiB and bodies intact', async () => {
  const expected = createHash('sha256');
  const raw = 75 * MiB; // base64 makes it ~100 MB on the wire
  const src = Readable.from(hugeMessage(raw, expected), { objectMode: false, highWaterMark: 64 * 1024 });
  gc();
  const base = process.memoryUsage().rss;
  let peak = base;
  let attachmentHash = '';
  let size = 0;
  let collectedAt = 0;
  for await (const part of parts(src)) {
    if (part.node.type.mime !== 'application/octet-stream') {
      part.body.resume();
      continue;
    }
    const h = createHash('sha256');
    for await (const c of part.body) {
      h.update(c as Buffer);
      size += (c as Buffer).length;
      if (size - collectedAt >= 16 * MiB) {
        gc();
        collectedAt = size;
      }
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
    }
    attachmentHash = h.digest('hex');
  }
  const expectedRaw = Math.ceil(raw / (57 * 4096)) * 57 * 4096;
  assert.equal(size, expectedRaw);
  assert.equal(attachmentHash, expected.digest('hex'));
  assert.ok(peak - base < 64 * MiB, `RSS grew by ${((peak - base) / MiB).toFixed(1)} MiB`);
});
