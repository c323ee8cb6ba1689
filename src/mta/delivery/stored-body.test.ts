import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BareLfCheck, indexStored, PartIndexer, storedBody, toCrlf } from './stored-body.js';

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

test('indexStored indexes prefix + a CRLF body and stops at the first bare LF, across chunk boundaries', async () => {
  const prefix = Buffer.from('Delivered-To: a@b.test\r\n');
  const crlf: string[][] = [['Subject: x\r\n\r\nhi\r\n'], ['Subject: x\r', '\n\r\nhi\r', '\n'], ['x\ry\r\n']];
  for (const chunks of crlf) {
    const indexer = new PartIndexer();
    assert.equal(await indexStored(prefix, Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))), indexer), true, JSON.stringify(chunks));
    const whole = prefix.toString('latin1') + chunks.join('');
    const want = new PartIndexer();
    await collect(storedBody(prefix, Readable.from([Buffer.from(chunks.join(''), 'latin1')]), want));
    assert.deepEqual(indexer.finish(), want.finish(), whole);
  }
  for (const chunks of [['a\nb'], ['a\r\n', '\n'], ['\n'], ['a\r\nb', '\nc']]) {
    assert.equal(await indexStored(prefix, Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))), new PartIndexer()), false, JSON.stringify(chunks));
  }
});

test('BareLfCheck finds a bare LF across chunk boundaries and lets CRLF and bare CR pass (the doc example)', () => {
  const check = new BareLfCheck();
  assert.equal(check.push(Buffer.from('a\r')), true);
  assert.equal(check.push(Buffer.from('\nb\n')), false, 'the second LF is bare');
  const ok = new BareLfCheck();
  for (const c of ['x\r\n', '', 'y\r', '\n', 'bare\rcr\r\n']) assert.equal(ok.push(Buffer.from(c)), true, JSON.stringify(c));
  assert.equal(new BareLfCheck().push(Buffer.from('\n')), false, 'an LF first in the body is bare');
});
