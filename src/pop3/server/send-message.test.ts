import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dotStuff } from '../../proto/index.js';
import { DotStuffer } from './send-message.js';

/** proto's dotStuff() Transform, the reference. */
async function reference(input: Buffer): Promise<string> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk);
      done();
    },
  });
  await pipeline(Readable.from(input.length > 0 ? [input] : []), dotStuff(), sink);
  return Buffer.concat(out).toString('latin1');
}

function stuff(input: Buffer, size: number): string {
  const s = new DotStuffer();
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) out.push(s.push(input.subarray(i, i + size)));
  out.push(s.end());
  return Buffer.concat(out).toString('latin1');
}

const inputs = ['', '.', '..', 'a', '.a\r\n.b\r\n', 'a\r\n.\r\n', 'x\r\n..\r\n.y', 'no end', 'cr end\r', 'lf end\n', '\n.\n.\n', 'a.b\r\nc.\r\n', '\r\n.\r\n.\r\n'];

for (const text of inputs) {
  test(`DotStuffer stuffs ${JSON.stringify(text)} as proto's dotStuff() does, in any chunking`, async () => {
    const input = Buffer.from(text, 'latin1');
    const want = await reference(input);
    for (const size of [1, 2, 3, 5, 64]) assert.equal(stuff(input, size), want, `chunks of ${size}`);
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
