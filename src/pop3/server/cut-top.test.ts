import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { cutTop } from './cut-top.js';

/** Runs cutTop over `text` split into chunks of `size` octets. */
async function cut(text: string, lines: number, bodyOffset: number | undefined, size: number): Promise<string> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: Buffer[] = [];
  for await (const b of cutTop(Readable.from(chunks), lines, bodyOffset)) out.push(b);
  return Buffer.concat(out).toString();
}

const msg = 'A: 1\r\nB: 2\r\n\r\nx\r\ny\r\nz\r\n';
const cases: [name: string, text: string, lines: number, want: string][] = [
  ['header only', msg, 0, 'A: 1\r\nB: 2\r\n\r\n'],
  ['one line', msg, 1, 'A: 1\r\nB: 2\r\n\r\nx\r\n'],
  ['every line', msg, 3, msg],
  ['more lines than the body has', msg, 99, msg],
  ['a last line without CRLF counts', 'A: 1\r\n\r\nx\r\ny', 2, 'A: 1\r\n\r\nx\r\ny'],
  ['no blank line: all header', 'A: 1\r\nB: 2\r\n', 0, 'A: 1\r\nB: 2\r\n'],
  ['empty header', '\r\nbody\r\nmore\r\n', 1, '\r\nbody\r\n'],
  ['empty body lines count', 'A: 1\r\n\r\n\r\n\r\nx\r\n', 2, 'A: 1\r\n\r\n\r\n\r\n'],
];

for (const [name, text, lines, want] of cases) {
  for (const size of [1, 2, 3, 7, 1000]) {
    test(`cutTop (${name}, ${lines} lines, chunks of ${size}) without bodyOffset scans for the blank line`, async () => {
      assert.equal(await cut(text, lines, undefined, size), want);
    });
  }
  test(`cutTop (${name}, ${lines} lines) with bodyOffset gives the same`, async () => {
    const b = text.startsWith('\r\n') ? 2 : text.includes('\r\n\r\n') ? text.indexOf('\r\n\r\n') + 4 : text.length;
    for (const size of [1, 5, 1000]) assert.equal(await cut(text, lines, b, size), want);
  });
}

test('cutTop with bodyOffset trusts it over the content (the stored part index)', async () => {
  assert.equal(await cut('A: 1\r\nB: 2\r\n\r\nx\r\n', 0, 6, 4), 'A: 1\r\n');
});

test('cutTop stops reading the source once the cut is complete and destroys it', async () => {
  let produced = 0;
  let destroyed = false;
  const src = new Readable({
    read() {
      produced++;
      this.push(Buffer.from(produced === 1 ? 'A: 1\r\n\r\n' : 'line\r\n'));
    },
    destroy(err, cb) {
      destroyed = true;
      cb(err);
    },
  });
  const out: Buffer[] = [];
  for await (const b of cutTop(src, 2)) out.push(b);
  assert.equal(Buffer.concat(out).toString(), 'A: 1\r\n\r\nline\r\nline\r\n');
  assert.ok(produced < 10, `read ${produced} chunks of an endless source`);
  assert.equal(destroyed, true);
});

test('cutTop example from its TSDoc', async () => {
  const parts: Buffer[] = [];
  for await (const b of cutTop(Readable.from([Buffer.from('A: 1\r\n\r\nx\r\ny\r\n')]), 1)) parts.push(b);
  assert.equal(Buffer.concat(parts).toString(), 'A: 1\r\n\r\nx\r\n');
});
