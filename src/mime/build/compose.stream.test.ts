import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { parts } from '../parse.js';
import { parseMessageBuffer } from '../message.js';
import { composeMessage, composeMessageBuffer, type ComposeInput } from './index.js';

const base: ComposeInput = { from: 'ann@x.test', to: ['bob@y.test'], subject: 'big', messageId: 'big@x.test' };
const MiB = 1024 * 1024;

/** 100 MiB of varied bytes in 64 KiB chunks, produced as the reader asks. */
async function* generated(size: number): AsyncGenerator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < size / chunk.length; i++) {
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
    yield Buffer.from(chunk); // a fresh copy: the consumer may still hold the previous one
  }
}

test('composeMessage streams a 100 MB attachment with less than 64 MiB of RSS growth', async () => {
  const size = 100 * MiB;
  const want = createHash('sha256');
  for await (const c of generated(size)) want.update(c);
  const expected = want.digest('hex');

  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = (): void => void (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 10);
  let wire = 0;
  let chunks = 0;
  const out = composeMessage({ ...base, text: 'see attached', attachments: [{ filename: 'big.bin', content: generated(size) }] });
  const counted = (async function* () {
    for await (const c of out) {
      wire += (c as Buffer).length;
      if (++chunks % 64 === 0) sample();
      yield c as Buffer;
    }
  })();
  let got: { filename: string | undefined; size: number; sha: string } | undefined;
  for await (const p of parts(counted)) {
    if (p.filename !== 'big.bin') continue;
    const h = createHash('sha256');
    let n = 0;
    for await (const c of p.body) {
      h.update(c as Buffer);
      n += (c as Buffer).length;
    }
    got = { filename: p.filename, size: n, sha: h.digest('hex') };
  }
  clearInterval(timer);
  sample();
  assert.deepEqual(got, { filename: 'big.bin', size, sha: expected });
  assert.ok(wire > (size * 4) / 3, `${wire} octets on the wire`);
  const growth = (peak - before) / MiB;
  assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB`);
});

test('composeMessage forwards a streamed message over the sample size byte for byte', async () => {
  const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} ${'x'.repeat(i % 90)}\r\n`).join('');
  const original = Buffer.from(`From: a@x.test\r\nSubject: old\r\n\r\n${lines}`, 'latin1');
  const stream = Readable.from([original.subarray(0, 70_001), original.subarray(70_001)]);
  const m = parseMessageBuffer(await composeMessageBuffer({ ...base, text: 'fwd', forward: { message: stream } }));
  assert.ok(m.attachments[0]!.content.equals(original));
});

test('composeMessage turns bare LF line ends of a streamed forwarded message into CRLF', async () => {
  const lf = 'Subject: old\n\n' + 'body line\n'.repeat(20_000);
  const m = parseMessageBuffer(await composeMessageBuffer({ ...base, forward: { message: Readable.from([Buffer.from(lf)]) } }));
  assert.equal(m.attachments[0]!.content.toString('latin1'), lf.replace(/\n/g, '\r\n'));
});

test('composeMessage fails the stream when a streamed forwarded message has 8-bit data after the sample in 7bit mode', async () => {
  const head = Buffer.from('Subject: old\r\n\r\n' + 'ascii line\r\n'.repeat(10_000));
  const tail = Buffer.from('Grüße\r\n', 'utf8');
  const out = composeMessage({ ...base, forward: { message: Readable.from([head, tail]) } });
  await assert.rejects(
    (async () => {
      for await (const _ of out);
    })(),
    /Cannot compose message: forward\.message contains 8-bit data/,
  );
});

test('composeMessage sends a streamed UTF-8 text file over the sample size quoted-printable with charset=utf-8', async () => {
  const text = 'Grüße aus Köln, line with some words\r\n'.repeat(3000);
  const bytes = Buffer.from(text, 'utf8');
  async function* src(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += 1000) yield new Uint8Array(bytes.subarray(i, i + 1000));
  }
  const raw = await composeMessageBuffer({ ...base, attachments: [{ filename: 'notes.txt', content: src() }] });
  const m = parseMessageBuffer(raw);
  assert.equal(m.parts[1]!.transferEncoding, 'quoted-printable');
  assert.equal(m.parts[1]!.charset, 'utf-8');
  assert.ok(m.attachments[0]!.content.equals(bytes));
});
