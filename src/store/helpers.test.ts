import test from 'node:test';
import assert from 'node:assert/strict';
import { normalizeAddress, normalizeDomain, normalizeUserAddress } from './address.js';
import { formatUid, newQueueId } from './ids.js';
import { applyResults, itemClass } from './queue-rules.js';
import type { QueueRcpt } from './store.js';

test('normalizeDomain lower-cases and drops a trailing dot; refuses empty names and @', () => {
  assert.equal(normalizeDomain('Example.ORG.'), 'example.org');
  for (const bad of ['', ' ', 'a@b', 'a b']) assert.throws(() => normalizeDomain(bad), /Invalid domain name/);
});

test('normalizeAddress lower-cases the domain only and keeps a catch-all form', () => {
  assert.equal(normalizeAddress('Ann.Lee@Example.ORG'), 'Ann.Lee@example.org');
  assert.equal(normalizeAddress('@Example.org'), '@example.org');
  assert.equal(normalizeAddress('"a@b"@Example.org'), '"a@b"@example.org');
  assert.throws(() => normalizeUserAddress('@example.org'), /Invalid address/);
  assert.throws(() => normalizeAddress('nobody'), /Invalid address/);
});

test('formatUid gives fixed-width UIDs whose string order is the sequence order', () => {
  assert.equal(formatUid('5f3a9c01', 7), '5f3a9c01-000000000007');
  const uids = [1, 9, 10, 99, 100, 123456789].map((n) => formatUid('5f3a9c01', n));
  assert.deepEqual([...uids].sort(), uids);
  assert.ok(uids.every((u) => /^[\x21-\x7e]{1,70}$/.test(u)));
});

test('newQueueId sorts by creation time', () => {
  assert.ok(newQueueId(1_000) < newQueueId(2_000));
  assert.match(newQueueId(), /^[0-9a-z]{9}[0-9a-f]{10}$/);
});

const rc = (address: string, state: QueueRcpt['state'] = 'pending'): QueueRcpt => ({
  address,
  state,
  attempts: 0,
  nextAttempt: new Date(0),
});

test('applyResults keeps final states final and matches recipients by normalized address', () => {
  const now = new Date(1000);
  const out = applyResults(
    'q1',
    [rc('a@X.test'), rc('b@x.test', 'delivered')],
    [
      { rcpt: 'a@x.test', outcome: 'deferred', code: 451, text: 'later' },
      { rcpt: 'b@x.test', outcome: 'failed', code: 550, text: 'no' },
    ],
    now,
  );
  assert.deepEqual([out[0]?.state, out[0]?.attempts, out[0]?.nextAttempt, out[0]?.lastReply], ['deferred', 1, now, '451 later']);
  assert.equal(out[1]?.state, 'delivered');
  assert.throws(() => applyResults('q1', [rc('a@x.test')], [{ rcpt: 'z@x.test', outcome: 'delivered', reply: '250' }], now), /no recipient/);
});

test('itemClass puts held first, then deferred, else pending', () => {
  assert.equal(itemClass({ held: true, rcpts: [rc('a@x', 'deferred')] }), 'held');
  assert.equal(itemClass({ held: false, rcpts: [rc('a@x'), rc('b@x', 'deferred')] }), 'deferred');
  assert.equal(itemClass({ held: false, rcpts: [rc('a@x'), rc('b@x', 'failed')] }), 'pending');
});
