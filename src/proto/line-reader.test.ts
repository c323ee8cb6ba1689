import test from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ConnectionLostError, LineReader, LineTooLongError, ReadTimeoutError } from './line-reader.js';

const make = (opts: Partial<{ maxLineBytes: number; idleMs: number; minDataRate: number }> = {}) => {
  const src = new PassThrough();
  return { src, reader: new LineReader(src, { maxLineBytes: 64, idleMs: 1000, ...opts }) };
};

test('LineReader.readLine returns lines without CRLF or LF, and null at the end', async () => {
  const { src, reader } = make();
  src.end('EHLO a\r\nNOOP\nQUIT\r\npartial');
  assert.equal((await reader.readLine())?.toString(), 'EHLO a');
  assert.equal((await reader.readLine())?.toString(), 'NOOP');
  assert.equal((await reader.readLine())?.toString(), 'QUIT');
  assert.equal(await reader.readLine(), null);
});

test('LineReader.readLine assembles a line sent byte by byte', async () => {
  const { src, reader } = make();
  const line = reader.readLine();
  for (const ch of 'NOOP\r\n') src.write(ch);
  assert.equal((await line)?.toString(), 'NOOP');
});

test('LineReader.readLine throws LineTooLongError after discarding the whole line, and reads the next in step', async () => {
  const { src, reader } = make({ maxLineBytes: 10 });
  src.write('x'.repeat(30));
  src.write('y'.repeat(30) + '\r\nNOOP\r\n');
  await assert.rejects(reader.readLine(), LineTooLongError);
  assert.equal((await reader.readLine())?.toString(), 'NOOP');
  src.end('12345678\r\n123456789\r\n'); // 10 octets with CRLF fits; 11 does not
  assert.equal((await reader.readLine())?.toString(), '12345678');
  await assert.rejects(reader.readLine(), LineTooLongError);
});

test('LineReader.readLine takes a per-call limit (AUTH lines)', async () => {
  const { src, reader } = make({ maxLineBytes: 100 });
  src.write('a'.repeat(50) + '\r\n');
  await assert.rejects(reader.readLine(20), LineTooLongError);
});

test('LineReader.readLine times out with ReadTimeoutError when no line arrives', async () => {
  const { src, reader } = make({ idleMs: 50 });
  src.write('NOO');
  await assert.rejects(reader.readLine(), (e) => e instanceof ReadTimeoutError && e.kind === 'idle');
});

test('LineReader.hasBufferedLine and hasBufferedData see pipelined input', async () => {
  const { src, reader } = make();
  src.write('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDA');
  await new Promise((r) => setImmediate(r));
  assert.equal((await reader.readLine())?.toString(), 'MAIL FROM:<a@b>');
  assert.equal(reader.hasBufferedLine(), true);
  await reader.readLine();
  assert.equal(reader.hasBufferedLine(), false);
  assert.equal(reader.hasBufferedData(), true);
});

test('LineReader.upgrade discards every byte received before it (STARTTLS injection)', async () => {
  const { src, reader } = make();
  src.write('STARTTLS\r\nMAIL FROM:<evil@x>\r\n');
  assert.equal((await reader.readLine())?.toString(), 'STARTTLS');
  const secure = new PassThrough();
  reader.upgrade(secure);
  secure.end('EHLO b\r\n');
  assert.equal((await reader.readLine())?.toString(), 'EHLO b');
  assert.equal(await reader.readLine(), null);
});

test('LineReader.abort makes the pending read throw the given error', async () => {
  const { reader } = make();
  const pending = reader.readLine();
  reader.abort(new Error('Shutting down'));
  await assert.rejects(pending, /Shutting down/);
  await assert.rejects(reader.readLine(), /Shutting down/);
});

test('LineReader.dotBody yields the unstuffed body and leaves the next command unread', async () => {
  const { src, reader } = make();
  src.write('..a\r\nb\r\n.\r\nQUIT\r\n');
  const body = reader.dotBody({ normalize: false });
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  assert.equal(Buffer.concat(chunks).toString(), '.a\r\nb\r\n');
  assert.equal(body.bytes, 7);
  assert.equal((await reader.readLine())?.toString(), 'QUIT');
});

test('LineReader.dotBody.finish drains to the terminator; a lost connection throws ConnectionLostError', async () => {
  const { src, reader } = make();
  src.write('a\r\nb\r\n');
  const body = reader.dotBody({ normalize: false });
  assert.equal((await body.read())?.toString(), 'a\r\nb\r\n');
  const done = body.finish();
  src.write('c\r\n.\r\nNOOP\r\n');
  await done;
  assert.equal((await reader.readLine())?.toString(), 'NOOP');
  const lost = reader.dotBody({ normalize: false });
  src.end('partial');
  await assert.rejects(lost.finish(), ConnectionLostError);
});

test('LineReader.take reads exactly n octets across chunks', async () => {
  const { src, reader } = make();
  src.write('12345');
  const chunk = reader.take(8);
  const got: Buffer[] = [];
  const reading = (async () => {
    for await (const c of chunk) got.push(c);
  })();
  src.write('678NOOP\r\n');
  await reading;
  assert.equal(Buffer.concat(got).toString(), '12345678');
  assert.equal((await reader.readLine())?.toString(), 'NOOP');
});

test('LineReader bodies fail with ReadTimeoutError "rate" when data trickles in below minDataRate', async () => {
  const { src, reader } = make({ idleMs: 300, minDataRate: 1000 });
  const body = reader.dotBody({ normalize: false });
  const timer = setInterval(() => src.write('x'), 60); // ~17 B/s: each byte buys 1 ms of a 300 ms budget
  try {
    const started = performance.now();
    await assert.rejects(body.finish(), (e) => e instanceof ReadTimeoutError && e.kind === 'rate');
    const took = performance.now() - started;
    assert.ok(took < 5000, `took ${took} ms`);
  } finally {
    clearInterval(timer);
  }
});

test('LineReader.takeLine returns a received line at once, undefined when none is complete, and refuses an overlong one', async () => {
  const src = new PassThrough();
  const reader = new LineReader(src, { maxLineBytes: 16, idleMs: 1000 });
  assert.equal(reader.takeLine(), undefined, 'nothing received');
  src.write('RETR 1\r\nRETR 2\nRET');
  assert.equal(reader.takeLine()?.toString(), 'RETR 1');
  assert.equal(reader.takeLine()?.toString(), 'RETR 2', 'a bare LF ends a line too');
  assert.equal(reader.takeLine(), undefined, 'a partial line waits');
  src.write('R 3\r\n' + 'X'.repeat(20) + '\r\nNOOP\r\n');
  assert.equal(reader.takeLine()?.toString(), 'RETR 3', 'completed by what arrived since');
  assert.throws(() => reader.takeLine(), LineTooLongError);
  assert.equal((await reader.readLine())?.toString(), 'NOOP', 'the reader stays in step after an overlong line');
});

test('LineReader.hasBufferedLine only looks: a long body after a command line stays intact (BDAT)', async () => {
  const { src, reader } = make({ maxLineBytes: 16 });
  src.write('BDAT 100\r\n' + 'a'.repeat(100));
  await new Promise((r) => setImmediate(r));
  assert.equal(reader.takeLine()?.toString(), 'BDAT 100');
  assert.equal(reader.hasBufferedLine(), false, '100 octets without a line end are no line, but are not dropped either');
  src.write('NOOP\r\n');
  const chunks: Buffer[] = [];
  for await (const c of reader.take(100)) chunks.push(c);
  assert.equal(Buffer.concat(chunks).toString(), 'a'.repeat(100));
  assert.equal((await reader.readLine())?.toString(), 'NOOP');
});

test('LineReader pauses its source past 64 KiB unread and resumes it once the reader has taken it', async () => {
  const { src, reader } = make({ maxLineBytes: 1 << 20 });
  src.write(Buffer.alloc(70 * 1024, 'x'));
  await new Promise((r) => setImmediate(r));
  assert.equal(src.isPaused(), true, 'backpressure reaches the source');
  src.write('\r\nNOOP\r\n');
  assert.equal((await reader.readLine())?.length, 70 * 1024);
  assert.equal((await reader.readLine())?.toString(), 'NOOP');
  assert.equal(src.isPaused(), false);
});

test('LineReader.park answers each arrival at once, restarts its time after each line, and ends on a value, the end or a timeout', async () => {
  const { src, reader } = make({ idleMs: 400 });
  const seen: string[] = [];
  const handler = (): string | undefined => {
    for (let l; (l = reader.takeLine()) !== undefined; ) {
      seen.push(l.toString());
      if (l.toString() === 'STOP') return 'stopped';
    }
    return undefined;
  };
  const parked = reader.park(handler);
  for (let i = 0; i < 3; i++) {
    src.write(`NOOP ${i}\r\n`);
    assert.deepEqual(seen.at(-1), `NOOP ${i}`, 'answered inside the write, without a turn of the event loop');
    await new Promise((r) => setTimeout(r, 200)); // 600 ms in all, over the 400 ms limit: only the time since the last line counts
  }
  src.write('ST');
  src.write('OP\r\n');
  assert.equal(await parked, 'stopped');
  await assert.rejects(reader.park(handler), (e) => e instanceof ReadTimeoutError && e.kind === 'idle');
  const ending = reader.park(handler);
  src.end('NOOP last\r\n');
  assert.equal(await ending, null);
  assert.equal(seen.at(-1), 'NOOP last');
});
