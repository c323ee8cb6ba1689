import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parts } from './parse.js';

const msg = [
  'From: a@x.test',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=C3=A9 soft=',
  'break',
  '--b1',
  'Content-Type: application/octet-stream',
  'Content-Disposition: attachment; filename="data.bin"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('binary\x00\xff payload', 'latin1').toString('base64'),
  '--b1--',
  '',
].join('\r\n');

async function collect(src: Readable | Iterable<Uint8Array>, readBodies = true) {
  const out: { path: string; mime: string; filename?: string; body: Buffer | null }[] = [];
  for await (const p of parts(src)) {
    let body: Buffer | null = null;
    if (readBodies) {
      const chunks: Buffer[] = [];
      for await (const c of p.body) chunks.push(c as Buffer);
      body = Buffer.concat(chunks);
    }
    out.push({ path: p.node.path, mime: p.node.type.mime, filename: p.filename, body });
  }
  return out;
}

test('parts yields containers and leaves in document order with transfer encodings undone', async () => {
  const got = await collect(Readable.from([Buffer.from(msg, 'latin1')]));
  assert.deepEqual(
    got.map((p) => [p.path, p.mime, p.filename, p.body?.toString('latin1')]),
    [
      ['', 'multipart/mixed', undefined, ''],
      ['1', 'text/plain', undefined, 'caf\xc3\xa9 soft' + 'break'],
      ['2', 'application/octet-stream', 'data.bin', 'binary\x00\xff payload'],
    ],
  );
});

test('parts gives the same bodies when the input arrives one byte at a time', async () => {
  const bytes = Buffer.from(msg, 'latin1');
  const oneByOne = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  assert.deepEqual(await collect(oneByOne), await collect([bytes]));
});

test('parts skips a body that the consumer did not read', async () => {
  const got = await collect(Readable.from([Buffer.from(msg, 'latin1')]), false);
  assert.deepEqual(
    got.map((p) => p.path),
    ['', '1', '2'],
  );
});

test('parts records base64 junk as a problem of the part once its body is read', async () => {
  const bad = 'Content-Transfer-Encoding: base64\r\n\r\naGVs*bG8=\r\n';
  for await (const p of parts([Buffer.from(bad)])) {
    const chunks: Buffer[] = [];
    for await (const c of p.body) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
    assert.ok(p.problems.some((x) => /invalid/i.test(x)), p.problems.join());
  }
});
