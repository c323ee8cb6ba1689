import test from 'node:test';
import assert from 'node:assert/strict';
import { passwordAllowed, type AuthWithoutTls } from './auth-policy.js';

const cases: [AuthWithoutTls, boolean, string, boolean][] = [
  ['loopback', false, '127.0.0.1', true],
  ['loopback', false, '::1', true],
  ['loopback', false, '192.0.2.1', false],
  ['never', false, '127.0.0.1', false],
  ['never', true, '192.0.2.1', true],
  ['always', false, '192.0.2.1', true],
];
for (const [policy, tls, remote, want] of cases) {
  test(`passwordAllowed(${policy}) for ${remote}${tls ? ' over TLS' : ''} is ${want}`, () => {
    assert.equal(passwordAllowed(policy, { tls, remote }), want);
  });
}
