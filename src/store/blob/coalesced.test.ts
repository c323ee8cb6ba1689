import test from 'node:test';
import assert from 'node:assert/strict';
import { Coalesced } from './coalesced.js';

test('Coalesced answers concurrent requests with at most one run in flight and one queued', async () => {
  let runs = 0;
  let active = 0;
  const c = new Coalesced(async () => {
    runs++;
    active++;
    assert.equal(active, 1, 'never two runs at once');
    await new Promise((r) => setTimeout(r, 5));
    active--;
  });
  await Promise.all(Array.from({ length: 50 }, () => c.request()));
  assert.equal(runs, 2, 'the first request starts a run; the 49 that came during it share the next');
  await c.request();
  assert.equal(runs, 3);
});

test('Coalesced never answers a request with a run that started before it', async () => {
  const started: number[] = [];
  let clock = 0;
  const c = new Coalesced(async () => {
    started.push(clock);
    await new Promise((r) => setTimeout(r, 2));
  });
  const first = c.request();
  clock = 1;
  const second = c.request(); // asked while run 0 is in flight
  await first;
  await second;
  assert.deepEqual(started, [0, 1]);
});

test('Coalesced passes a failure to the callers of that run and recovers', async () => {
  let fail = true;
  const c = new Coalesced(async () => {
    if (fail) throw new Error('EIO');
  });
  await assert.rejects(c.request(), /EIO/);
  fail = false;
  await c.request();
});
