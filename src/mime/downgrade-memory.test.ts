import test from 'node:test';
import assert from 'node:assert/strict';
import { isAscii } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { downgradeTo7bit } from './downgrade.js';
import { parts } from './index.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A ~50 MB 8-bit message made lazily: 20 MiB of 8bit UTF-8 text and 30 MiB of binary, in 64 KiB chunks. */
function* bigMessage(textHash: Hash, binHash: Hash): Generator<Buffer> {
  yield Buffer.from(
    'From: big@x.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=_big"\r\n\r\n' +
      '--=_big\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
  );
  const line = Buffer.from('Grüße aus Köln, 안녕하세요 — the quick brown fox jumps over the lazy dög\r\n', 'utf8');
  const block = Buffer.alloc(Math.floor(CHUNK / line.length) * line.length);
  for (let i = 0; i < block.length; i += line.length) line.copy(block, i);
  for (let done = 0; done < 20 * MiB; done += block.length) {
    textHash.update(block);
    yield block;
  }
  yield Buffer.from('\r\n--=_big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n');
  let seed = 2024;
  for (let done = 0; done < 30 * MiB; done += CHUNK) {
    const out = Buffer.allocUnsafe(CHUNK);
    for (let i = 0; i < CHUNK; i += 4) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      out.writeUInt32LE(seed, i);
    }
    binHash.update(out);
    yield out;
  }
  yield Buffer.from('\r\n--=_big--\r\n');
}

test('downgradeTo7bit streams a 50 MB 8-bit message with RSS growth under 64 MiB, and it decodes intact', async () => {
  const textIn = createHash('sha256');
  const binIn = createHash('sha256');
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  let outBytes = 0;
  let seven = true;
  async function* watched(): AsyncGenerator<Buffer> {
    for await (const c of downgradeTo7bit(bigMessage(textIn, binIn))) {
      outBytes += c.length;
      if (!isAscii(c)) seven = false;
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
      yield c;
    }
  }
  const hashes: Record<string, string> = {};
  for await (const p of parts(watched())) {
    if (p.node.kind !== 'leaf') continue;
    const h = createHash('sha256');
    for await (const c of p.body) h.update(c as Buffer);
    hashes[`${p.node.type.mime} ${p.transferEncoding}`] = h.digest('hex');
  }
  assert.ok(seven, 'every output octet is below 128');
  assert.ok(outBytes > 50 * MiB, `output of ${(outBytes / MiB).toFixed(1)} MiB`);
  assert.deepEqual(hashes, {
    'text/plain quoted-printable': textIn.digest('hex'),
    'application/octet-stream base64': binIn.digest('hex'),
  });
  assert.ok(peak - base < 64 * MiB, `RSS grew by ${((peak - base) / MiB).toFixed(1)} MiB`);
});
