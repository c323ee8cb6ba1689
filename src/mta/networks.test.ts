import test from 'node:test';
import assert from 'node:assert/strict';
import { networkMatcher } from './networks.js';

test('networkMatcher trusts nobody, not even loopback, when the list is empty', () => {
  const m = networkMatcher([]);
  assert.equal(m('127.0.0.1'), false);
  assert.equal(m('::1'), false);
});

test('networkMatcher matches IPv4 and IPv6 CIDR blocks and IPv4-mapped clients', () => {
  const m = networkMatcher(['192.0.2.0/24', '2001:db8::/32', '10.1.2.3']);
  assert.equal(m('192.0.2.200'), true);
  assert.equal(m('::ffff:192.0.2.9'), true);
  assert.equal(m('192.0.3.1'), false);
  assert.equal(m('2001:db8:1::5'), true);
  assert.equal(m('2001:db9::5'), false);
  assert.equal(m('10.1.2.3'), true);
  assert.equal(m('10.1.2.4'), false);
  assert.equal(m('not-an-ip'), false);
});

test('networkMatcher throws on a malformed entry, naming it', () => {
  for (const bad of ['192.0.2.0/33', 'example.org', '192.0.2.0/', '1.2.3.4/8/9']) {
    assert.throws(() => networkMatcher([bad]), new RegExp(`Cannot parse trusted network "${bad.replace(/\./g, '\\.')}"`));
  }
});
