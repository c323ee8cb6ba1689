import test from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, resolveBackoff, scheduleRetry } from './backoff.js';
import type { RcptResult } from '../../store/index.js';

const deferred: RcptResult = { rcpt: 'b@y.test', outcome: 'deferred', code: 451, enhanced: '4.3.0', text: 'Try later' };

test('backoffDelay doubles from minMs and stays at maxMs (Postfix defaults)', () => {
  const p = resolveBackoff({ jitter: 0 });
  const seq = [1, 2, 3, 4, 5, 6, 7, 40, 5000].map((n) => backoffDelay(n, p, () => 0.99));
  assert.deepEqual(seq, [300_000, 600_000, 1_200_000, 2_400_000, 4_000_000, 4_000_000, 4_000_000, 4_000_000, 4_000_000]);
});

test('backoffDelay adds at most jitter × delay from the injected random source', () => {
  const p = resolveBackoff({ jitter: 0.1 });
  assert.equal(backoffDelay(1, p, () => 0), 300_000);
  assert.equal(backoffDelay(1, p, () => 0.5), 315_000);
  assert.equal(backoffDelay(5, p, () => 0.999999), 4_000_000 + 399_999);
});

test('resolveBackoff refuses inverted or non-positive bounds', () => {
  assert.throws(() => resolveBackoff({ minMs: 10, maxMs: 5 }), /Cannot use backoff policy/);
  assert.throws(() => resolveBackoff({ lifetimeMs: 0 }), /Cannot use backoff policy/);
});

test('scheduleRetry sets retryAt, clamps it to the lifetime deadline, and fails at the deadline with 5.4.7', () => {
  const policy = resolveBackoff({ jitter: 0 });
  const createdAt = new Date('2026-01-01T00:00:00Z');
  const random = (): number => 0;
  const r1 = scheduleRetry(deferred, { attempt: 1, createdAt, now: createdAt, policy, random });
  assert.equal(r1.outcome, 'deferred');
  assert.equal(r1.outcome === 'deferred' && r1.retryAt?.toISOString(), '2026-01-01T00:05:00.000Z');
  const nearEnd = new Date(createdAt.getTime() + policy.lifetimeMs - 60_000);
  const r2 = scheduleRetry(deferred, { attempt: 30, createdAt, now: nearEnd, policy, random });
  assert.equal(r2.outcome === 'deferred' && r2.retryAt?.getTime(), createdAt.getTime() + policy.lifetimeMs);
  const end = new Date(createdAt.getTime() + policy.lifetimeMs);
  const r3 = scheduleRetry(deferred, { attempt: 31, createdAt, now: end, policy, random });
  assert.equal(r3.outcome, 'failed');
  assert.ok(r3.outcome === 'failed' && r3.code === 554 && r3.enhanced === '5.4.7' && /expired after 5 days.*451 4\.3\.0 Try later/.test(r3.text));
  assert.equal('retryAt' in r3 && r3.retryAt !== undefined, false);
});

test('scheduleRetry leaves delivered and failed results unchanged', () => {
  const policy = resolveBackoff();
  const ok: RcptResult = { rcpt: 'a@x.test', outcome: 'delivered', reply: '250 ok' };
  const now = new Date();
  assert.equal(scheduleRetry(ok, { attempt: 1, createdAt: now, now, policy, random: Math.random }), ok);
});
