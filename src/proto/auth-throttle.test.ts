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

test('AuthThrottle shared by processes: fail() publishes, failedElsewhere() counts without publishing, recentFailures() seeds a new one', () => {
  let now = 1_000_000;
  const opts = { maxFailures: 2, windowMs: 60_000, now: () => now };
  const here = new AuthThrottle(opts);
  const there = new AuthThrottle(opts);
  const sent: string[] = [];
  here.publish = (ip) => {
    sent.push(ip);
    there.failedElsewhere(ip);
  };
  there.publish = () => assert.fail('failedElsewhere must not publish');
  here.fail('192.0.2.1');
  assert.deepEqual(sent, ['192.0.2.1']);
  assert.equal(there.locked('192.0.2.1'), false);
  there.failedElsewhere('192.0.2.1');
  assert.equal(there.locked('192.0.2.1'), true, 'one failure from each process reaches the limit');
  now += 1000;
  const late = new AuthThrottle(opts); // a process started later
  late.addFailures(there.recentFailures());
  assert.equal(late.locked('192.0.2.1'), true);
  now += 60_000; // the failures leave the window in the new process as they do in the old one
  assert.equal(late.locked('192.0.2.1'), false);
  assert.deepEqual(late.recentFailures(), []);
});
