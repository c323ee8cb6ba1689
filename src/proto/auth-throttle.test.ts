import test from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle } from './auth-throttle.js';

test('AuthThrottle locks a client out after 10 failures in 15 minutes and lets it in when they age out', () => {
  let now = 1_000_000;
  const t = new AuthThrottle({ now: () => now });
  for (let i = 0; i < 9; i++) {
    t.fail('192.0.2.1');
    now += 1000;
  }
  assert.equal(t.locked('192.0.2.1'), false);
  t.fail('192.0.2.1');
  assert.equal(t.locked('192.0.2.1'), true);
  assert.equal(t.locked('192.0.2.2'), false);
  now += 15 * 60_000 - 9000; // the first failure leaves the window
  assert.equal(t.locked('192.0.2.1'), false);
});

test('AuthThrottle counts IPv6 clients by /64 and forgets the oldest client past maxClients', () => {
  const t = new AuthThrottle({ maxFailures: 1, maxClients: 2 });
  t.fail('2001:db8::1');
  assert.equal(t.locked('2001:db8::ffff'), true);
  t.fail('192.0.2.1');
  t.fail('192.0.2.2');
  assert.equal(t.locked('2001:db8::1'), false);
  assert.equal(t.locked('192.0.2.2'), true);
});
