import test from 'node:test';
import assert from 'node:assert/strict';
import type { Notify, QueueItem, RcptResult } from '../../store/index.js';
import { dsnNeeds } from './index.js';

function item(from: string, notify: (readonly Notify[] | undefined)[]): QueueItem {
  const now = new Date('2026-01-01T00:00:00Z');
  const rcpts = notify.map((n, i) => ({ address: `r${i}@example.org`, ...(n ? { notify: n } : {}) }));
  return {
    id: 'Q',
    envelope: { from, rcpts, smtputf8: false, body: '7BIT', receivedAt: now, client: { helo: 'h', ip: '192.0.2.1', tls: false, protocol: 'ESMTP' } },
    body: { id: 'b', size: 1, sha256: '' },
    rcpts: rcpts.map((r) => ({ ...r, state: 'pending' as const, attempts: 0, nextAttempt: now })),
    createdAt: now,
    held: false,
  };
}
const ok = (rcpt: string): RcptResult => ({ rcpt, outcome: 'delivered', reply: '250 ok' });
const fail = (rcpt: string): RcptResult => ({ rcpt, outcome: 'failed', code: 550, enhanced: '5.1.1', text: 'User unknown' });
const defer = (rcpt: string): RcptResult => ({ rcpt, outcome: 'deferred', code: 451, text: 'later' });

test('dsnNeeds asks for success reports only with NOTIFY=SUCCESS and failure reports by default (RFC 3461 §4.1)', () => {
  const it = item('a@x.test', [['SUCCESS'], undefined, ['FAILURE'], ['NEVER'], ['SUCCESS', 'DELAY']]);
  const needs = dsnNeeds(it, [ok('r0@example.org'), ok('r1@example.org'), fail('r1@example.org'), fail('r2@example.org'), fail('r3@example.org'), fail('r4@example.org'), defer('r0@example.org')]);
  assert.deepEqual(needs.map((n) => [n.kind, n.rcpt.address]), [['delivered', 'r0@example.org'], ['failed', 'r1@example.org'], ['failed', 'r2@example.org']]);
});

test('dsnNeeds never asks for a report on a message from the null sender', () => {
  assert.deepEqual(dsnNeeds(item('', [['SUCCESS'], undefined]), [ok('r0@example.org'), fail('r1@example.org')]), []);
});

test('dsnNeeds reports relayed and expanded successes, and none when the next hop took the DSN request over', () => {
  const it = item('a@x.test', [['SUCCESS'], ['SUCCESS'], ['SUCCESS'], ['FAILURE']]);
  const needs = dsnNeeds(it, [
    { rcpt: 'r0@example.org', outcome: 'delivered', reply: '250 ok', action: 'relayed' },
    { rcpt: 'r1@example.org', outcome: 'delivered', reply: '250 ok', action: 'relayed', dsnPassedOn: true },
    { rcpt: 'r2@example.org', outcome: 'delivered', reply: '250 ok', action: 'expanded' },
    { rcpt: 'r3@example.org', outcome: 'delivered', reply: '250 ok', action: 'relayed' },
  ]);
  assert.deepEqual(needs.map((n) => [n.kind, n.rcpt.address]), [['relayed', 'r0@example.org'], ['expanded', 'r2@example.org']]);
});

test('dsnNeeds owes a delay notice only with NOTIFY=DELAY, after the delay time, once per recipient', () => {
  const it = item('a@x.test', [['DELAY'], ['FAILURE'], undefined, ['SUCCESS', 'DELAY']]);
  const early = { delayAfterMs: 3_600_000, now: new Date('2026-01-01T00:59:59Z') };
  const due = { delayAfterMs: 3_600_000, now: new Date('2026-01-01T01:00:00Z') };
  const all = ['r0@example.org', 'r1@example.org', 'r2@example.org', 'r3@example.org'].map(defer);
  assert.deepEqual(dsnNeeds(it, all), []);
  assert.deepEqual(dsnNeeds(it, all, early), []);
  assert.deepEqual(dsnNeeds(it, all, due).map((n) => [n.kind, n.rcpt.address]), [['delayed', 'r0@example.org'], ['delayed', 'r3@example.org']]);
  const reported = { ...it, rcpts: it.rcpts.map((r) => ({ ...r, delayReported: true })) };
  assert.deepEqual(dsnNeeds(reported, all, due), []);
});
