import test from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WaitDeadline } from './wait-deadline.js';

/** A WaitDeadline over a flag, recording when it expired (ms after the start). */
function make() {
  const t0 = performance.now();
  const s = { waiting: true, expired: [] as number[] };
  const limit = new WaitDeadline(
    () => s.waiting,
    () => {
      s.waiting = false;
      s.expired.push(performance.now() - t0);
    },
  );
  return { s, limit };
}

test('WaitDeadline expires once, not before the deadline', async () => {
  const { s, limit } = make();
  limit.start(30);
  await sleep(10);
  assert.deepEqual(s.expired, []);
  await sleep(60);
  assert.equal(s.expired.length, 1);
  assert.ok(s.expired[0]! >= 30, `expired at ${s.expired[0]} ms`);
});

test('WaitDeadline.push moves the deadline later: the timer armed for the first one re-arms for what is left', async () => {
  const { s, limit } = make();
  limit.start(30);
  await sleep(20);
  limit.push(40); // now ~60 ms from the start
  await sleep(25); // past the first deadline
  assert.deepEqual(s.expired, []);
  await sleep(60);
  assert.equal(s.expired.length, 1);
  assert.ok(s.expired[0]! >= 58, `expired at ${s.expired[0]} ms`);
});

test('WaitDeadline.start with an earlier deadline than the armed timer expires on time', async () => {
  const { s, limit } = make();
  limit.start(10_000);
  limit.start(20);
  await sleep(80);
  assert.equal(s.expired.length, 1);
  assert.ok(s.expired[0]! < 1000, `expired at ${s.expired[0]} ms`);
  limit.clear();
});

test('WaitDeadline does nothing when no wait is going on, nor after clear()', async () => {
  const { s, limit } = make();
  s.waiting = false; // the wait ended before its deadline
  limit.start(10);
  await sleep(40);
  assert.deepEqual(s.expired, []);
  s.waiting = true;
  limit.start(10);
  limit.clear();
  await sleep(40);
  assert.deepEqual(s.expired, []);
});
