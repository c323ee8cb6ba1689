import test from 'node:test';
import assert from 'node:assert/strict';
import { clientKey, isLoopback } from './client-key.js';

const keys: [string, string][] = [
  ['192.0.2.7', '192.0.2.7'],
  ['::ffff:192.0.2.7', '192.0.2.7'],
  ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
  ['2001:db8:1:2:bbbb:cccc:dddd:eeee', '2001:db8:1:2::/64'],
  ['2001:db8::1', '2001:db8:0:0::/64'],
  ['::1', '0:0:0:0::/64'],
];
for (const [ip, want] of keys) {
  test(`clientKey(${ip}) is ${want}`, () => assert.equal(clientKey(ip), want));
}

test('isLoopback knows 127/8, ::1 and mapped loopback, and nothing else', () => {
  for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(ip), true, ip);
  for (const ip of ['192.0.2.1', '::2', '2001:db8::1', '', 'localhost']) assert.equal(isLoopback(ip), false, ip);
});
