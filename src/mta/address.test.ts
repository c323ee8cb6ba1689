import test from 'node:test';
import assert from 'node:assert/strict';
import { addressLiteral, domainOf, lookupKeys, normalizeAddress } from './address.js';

test('normalizeAddress keeps the local part case and lower-cases the domain', () => {
  assert.equal(normalizeAddress('John.Doe@Example.ORG'), 'John.Doe@example.org');
  assert.equal(normalizeAddress('"A@B"@X.Test'), '"A@B"@x.test');
  assert.equal(normalizeAddress('Postmaster'), 'Postmaster');
});

test('domainOf, lookupKeys and addressLiteral follow RFC 5321 forms', () => {
  assert.equal(domainOf('a@B.test'), 'b.test');
  assert.equal(domainOf('postmaster'), '');
  assert.deepEqual(lookupKeys('Ann@X.test'), ['Ann@x.test', 'ann@x.test']);
  assert.deepEqual(lookupKeys('ann@x.test'), ['ann@x.test']);
  assert.equal(addressLiteral('192.0.2.1'), '[192.0.2.1]');
  assert.equal(addressLiteral('::ffff:192.0.2.1'), '[192.0.2.1]');
  assert.equal(addressLiteral('2001:db8::1'), '[IPv6:2001:db8::1]');
});
