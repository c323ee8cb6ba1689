import test from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { parseMessageBuffer } from '../message.js';
import { MimeWriter, readableFrom, writableSink, type ByteSink } from './index.js';

function memorySink(): ByteSink & { text(): string } {
  const out: Buffer[] = [];
  return { write: (c) => void out.push(c), text: () => Buffer.concat(out).toString('latin1') };
}

test('MimeWriter writes parts between RFC 2046 delimiters and a close delimiter', async () => {
  const sink = memorySink();
  const w = await MimeWriter.create(sink, ['Content-Type: multipart/mixed; boundary="b=_1"'], { boundary: 'b=_1' });
  const p = await w.createPart(['Content-Type: text/plain']);
  await p.write(Buffer.from('hi'));
  await p.close();
  const q = await w.createPart([]);
  await q.write(Buffer.from('line\r\n'));
  await q.close();
  await w.close();
  assert.equal(
    sink.text(),
    'Content-Type: multipart/mixed; boundary="b=_1"\r\n\r\n--b=_1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b=_1\r\n\r\nline\r\n\r\n--b=_1--\r\n',
  );
  const m = parseMessageBuffer(sink.text());
  assert.deepEqual(m.parts.map((x) => x.size), [0, 2, 6]);
});

test('MimeWriter nests multiparts and ends a top-level leaf with CRLF', async () => {
  const sink = memorySink();
  const w = await MimeWriter.create(sink, ['Content-Type: multipart/mixed; boundary=o=_'], { boundary: 'o=_' });
  const inner = await w.createPart(['Content-Type: multipart/alternative; boundary=i=_'], { boundary: 'i=_' });
  const t = await inner.createPart(['Content-Type: text/plain']);
  await t.write(Buffer.from('a'));
  await t.close();
  await inner.close();
  await w.close();
  assert.equal(sink.text().split('\r\n\r\n').slice(1).join('|'), '--o=_\r\nContent-Type: multipart/alternative; boundary=i=_|--i=_\r\nContent-Type: text/plain|a\r\n--i=_--\r\n--o=_--\r\n');
  const leaf = memorySink();
  const l = await MimeWriter.create(leaf, ['Subject: x']);
  await l.write(Buffer.from('no final break'));
  await l.close();
  assert.equal(leaf.text(), 'Subject: x\r\n\r\nno final break\r\n');
});

test('MimeWriter refuses header fields that could break the header, before writing them', async () => {
  const sink = memorySink();
  const bad = ['Subject: a\r\nBcc: x@y', 'Subject: a\nb', 'Subject: a\rb', 'Subject: \0', 'No colon', 'Subject: Grüße', `Subject: ${'x'.repeat(1000)}`, 'Subject: a\r\n\r\nbody'];
  for (const f of bad) await assert.rejects(MimeWriter.create(sink, [f]), /^Error: Cannot write header field/, JSON.stringify(f));
  assert.equal(sink.text(), '');
  const ok = await MimeWriter.create(sink, ['Subject: Grüße', 'X: folded\r\n value'], { utf8: true });
  await ok.close();
  assert.equal(Buffer.from(sink.text(), 'latin1').toString('utf8'), 'Subject: Grüße\r\nX: folded\r\n value\r\n\r\n');
});

test('MimeWriter throws on misuse: body in a multipart, overlapping parts, an empty multipart, bad boundaries', async () => {
  const sink = memorySink();
  const w = await MimeWriter.create(sink, [], { boundary: 'b=_' });
  await assert.rejects(w.write(Buffer.from('x')), /entity is a multipart/);
  await assert.rejects(w.close(), /it has no parts/);
  await w.createPart([]);
  await assert.rejects(w.createPart([]), /previous part is not closed/);
  const leaf = await MimeWriter.create(sink, []);
  await assert.rejects(leaf.createPart([]), /not a multipart/);
  await assert.rejects(MimeWriter.create(sink, [], { boundary: 'x'.repeat(71) }), /1 to 70 RFC 2046 bchars/);
  await assert.rejects(MimeWriter.create(sink, [], { boundary: 'ends with space ' }), /bchars/);
});

test('readableFrom pauses the producer until the consumer reads (backpressure)', async () => {
  let written = 0;
  const r = readableFrom(
    async (sink) => {
      for (let i = 0; i < 100; i++) {
        await sink.write(Buffer.alloc(1024));
        written++;
      }
    },
    { highWaterMark: 4096 },
  );
  r.pause();
  r.read(0); // starts the producer
  await new Promise((res) => setTimeout(res, 20));
  assert.ok(written <= 5, `wrote ${written} chunks ahead of the reader`);
  let total = 0;
  for await (const c of r) total += (c as Buffer).length;
  assert.equal(total, 100 * 1024);
});

test('readableFrom stops the producer with an error when the consumer destroys the stream', async () => {
  let error: unknown;
  let done!: () => void;
  const finished = new Promise<void>((res) => (done = res));
  const r = readableFrom(async (sink) => {
    try {
      for (;;) await sink.write(Buffer.alloc(1024));
    } catch (err) {
      error = err;
      done();
      throw err;
    }
  });
  r.on('error', () => {});
  r.once('data', () => r.destroy());
  await finished;
  assert.match(String(error), /output stream is destroyed/);
});

test('writableSink waits for drain and rejects after the stream closes', async () => {
  let pending: (() => void) | null = null;
  const out = new Writable({
    highWaterMark: 1,
    write(_c, _e, cb) {
      pending = cb;
    },
  });
  const sink = writableSink(out);
  let resolved = false;
  const w = Promise.resolve(sink.write(Buffer.from('ab'))).then(() => (resolved = true));
  await new Promise((res) => setImmediate(res));
  assert.equal(resolved, false);
  pending!();
  await w;
  assert.equal(resolved, true);
  const second = sink.write(Buffer.from('cd'));
  out.destroy();
  await assert.rejects(Promise.resolve(second), /output stream closed/);
});
