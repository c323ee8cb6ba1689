import test from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionLimiter, resolveLimits } from './limits.js';

test('ConnectionLimiter refuses past the per-client limit and counts IPv6 by /64', () => {
  const l = new ConnectionLimiter({ perClient: 2, total: 10 });
  const a = l.acquire('2001:db8::1');
  const b = l.acquire('2001:db8::2');
  assert.ok(a && b);
  assert.equal(l.acquire('2001:db8::3'), null);
  assert.ok(l.acquire('2001:db8:0:1::1'));
  a();
  a(); // a second release gives back nothing more
  assert.ok(l.acquire('2001:db8::3'));
  assert.equal(l.acquire('2001:db8::4'), null);
});

test('ConnectionLimiter refuses past the total limit', () => {
  const l = new ConnectionLimiter({ perClient: 5, total: 2 });
  const r1 = l.acquire('192.0.2.1');
  assert.ok(r1 && l.acquire('192.0.2.2'));
  assert.equal(l.acquire('192.0.2.3'), null);
  assert.equal(l.total, 2);
  r1();
  assert.equal(l.total, 1);
  assert.ok(l.acquire('192.0.2.3'));
});

test('resolveLimits applies overrides, allows 0 only where asked, and names the protocol and key', () => {
  const defaults = { maxLineBytes: 4096, maxAuthLineBytes: 12_288, minDataRate: 500 };
  assert.deepEqual(resolveLimits('SMTP', defaults, { minDataRate: 0 }, ['minDataRate']), { maxLineBytes: 4096, maxAuthLineBytes: 12_288, minDataRate: 0 });
  assert.ok(Object.isFrozen(resolveLimits('SMTP', defaults, {}, [])));
  assert.throws(() => resolveLimits('SMTP', defaults, { minDataRate: 0 }, []), /^Error: Invalid SMTP limit minDataRate: 0 \(expected a positive integer\)$/);
  assert.throws(() => resolveLimits('POP3', defaults, { maxLineBytes: 1.5 }, []), /Invalid POP3 limit maxLineBytes: 1.5/);
  assert.throws(() => resolveLimits('POP3', defaults, { maxAuthLineBytes: 100 }, []), /Invalid POP3 limit maxAuthLineBytes: smaller than maxLineBytes/);
});
