import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { PartIndexer, storedBody, toCrlf } from './stored-body.js';

const collect = async (it: AsyncIterable<Buffer>): Promise<string> => {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out).toString('latin1');
};

test('toCrlf turns bare LF into CRLF across chunk boundaries and keeps CRLF and bare CR', async () => {
  const cases: [string[], string][] = [
    [['a\r\nb\r\n'], 'a\r\nb\r\n'],
    [['a\nb\n'], 'a\r\nb\r\n'],
    [['a\r', '\nb'], 'a\r\nb'],
    [['a', '\n', '\n'], 'a\r\n\r\n'],
    [['x\ry'], 'x\ry'],
    [['\n'], '\r\n'],
  ];
  for (const [chunks, want] of cases) {
    assert.equal(await collect(toCrlf(Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))))), want, JSON.stringify(chunks));
  }
});

test('storedBody prefixes the trace and indexes the parts at the offsets of the stored bytes', async () => {
  const prefix = Buffer.from('Return-Path: <a@x.test>\r\n');
  const body = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n';
  const indexer = new PartIndexer();
  const stored = await collect(storedBody(prefix, Readable.from([Buffer.from(body)]), indexer));
  assert.equal(stored, prefix.toString() + body);
  const parts = indexer.finish();
  assert.deepEqual(parts.map((p) => [p.path, p.contentType]), [['', 'multipart/mixed'], ['1', 'text/plain']]);
  const leaf = parts[1]!;
  assert.equal(stored.slice(leaf.body, leaf.end), 'hi');
  assert.equal(parts[0]!.header, 0);
});
