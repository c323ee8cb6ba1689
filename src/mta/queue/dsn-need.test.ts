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
  assert.deepEqual(needs.map((n) => [n.kind, n.rcpt.address]), [['success', 'r0@example.org'], ['failure', 'r1@example.org'], ['failure', 'r2@example.org']]);
});

test('dsnNeeds never asks for a report on a message from the null sender', () => {
  assert.deepEqual(dsnNeeds(item('', [['SUCCESS'], undefined]), [ok('r0@example.org'), fail('r1@example.org')]), []);
});
