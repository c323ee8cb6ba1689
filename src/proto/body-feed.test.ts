import test from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BodyFeed } from './body-feed.js';

const sink = (into: Buffer[], delayMs = 0) =>
  new Writable({
    highWaterMark: 1,
    write(c: Buffer, _e, done) {
      into.push(c);
      setTimeout(done, delayMs);
    },
  });

test('BodyFeed delivers chunks in order and ends cleanly', async () => {
  const feed = new BodyFeed({ maxBytes: 100, tooBig: () => new Error('Too big') });
  const got: Buffer[] = [];
  const stored = pipeline(feed.readable, sink(got));
  await feed.write(Buffer.from('hello '));
  await feed.write(Buffer.from('world'));
  feed.end();
  await stored;
  assert.equal(Buffer.concat(got).toString(), 'hello world');
});

test('BodyFeed fails the stream past maxBytes, so pipeline() rejects, and discards the rest', async () => {
  const feed = new BodyFeed({ maxBytes: 5, tooBig: () => new Error('Too big') });
  const got: Buffer[] = [];
  const stored = pipeline(feed.readable, sink(got));
  await feed.write(Buffer.from('12345'));
  await feed.write(Buffer.from('6'));
  await feed.write(Buffer.from('more'));
  assert.equal(feed.overflowed, true);
  assert.equal(feed.alive, false);
  await assert.rejects(stored, /Too big/);
});

test('BodyFeed.write waits for a slow consumer (backpressure) and never buffers more than its high-water mark', async () => {
  const feed = new BodyFeed({ maxBytes: 1 << 20, tooBig: () => new Error('Too big'), highWaterMark: 1024 });
  const got: Buffer[] = [];
  const stored = pipeline(feed.readable, sink(got, 2));
  let maxBuffered = 0;
  for (let i = 0; i < 50; i++) {
    await feed.write(Buffer.alloc(512, i));
    maxBuffered = Math.max(maxBuffered, feed.readable.readableLength);
  }
  feed.end();
  await stored;
  assert.ok(maxBuffered <= 1024, `buffered ${maxBuffered}`);
  assert.equal(Buffer.concat(got).length, 50 * 512);
});

test('BodyFeed.fail before anyone reads raises no uncaught error, and writes after detach return at once', async () => {
  const feed = new BodyFeed({ maxBytes: 10, tooBig: () => new Error('Too big') });
  feed.fail(new Error('Refused'));
  await feed.write(Buffer.from('x'));
  const other = new BodyFeed({ maxBytes: 10, tooBig: () => new Error('Too big'), highWaterMark: 1 });
  const pending = other.write(Buffer.from('ab')); // nobody reads: the write waits…
  other.detach(); // …until the consumer is gone
  await pending;
  await other.write(Buffer.from('cd'));
  assert.equal(other.alive, false);
});
