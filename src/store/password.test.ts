import test from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from './password.js';

test('hashPassword writes $scrypt$ with its parameters, a random salt and a 32-byte key', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  assert.match(a, /^\$scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b, 'two hashes of one password differ (random salt)');
});

test('verifyPassword accepts the right password and refuses a wrong one', async () => {
  const h = await hashPassword('correct horse');
  assert.equal(await verifyPassword('correct horse', h), true);
  assert.equal(await verifyPassword('correct horsE', h), false);
  assert.equal(await verifyPassword('', h), false);
});

test('verifyPassword reads the parameters from the hash', async () => {
  const h = await hashPassword('pw', { N: 1024, r: 4, p: 2 });
  assert.match(h, /^\$scrypt\$N=1024,r=4,p=2\$/);
  assert.equal(await verifyPassword('pw', h), true);
});

test('verifyPassword treats Unicode passwords by NFC, so composed and decomposed forms match', async () => {
  const h = await hashPassword('caf\u00e9');
  assert.equal(await verifyPassword('cafe\u0301', h), true);
});

test('verifyPassword returns false for malformed hashes and unsafe parameters instead of throwing', async () => {
  const good = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  const [, , , salt, key] = good.split('$');
  const cases = [
    '',
    'plain-text',
    '$2b$10$abcdefghijklmnopqrstuv',
    `$scrypt$N=1000,r=8,p=1$${salt}$${key}`, // N not a power of two
    `$scrypt$N=4194304,r=8,p=1$${salt}$${key}`, // 4 GiB of memory
    `$scrypt$N=1024,r=64,p=1$${salt}$${key}`,
    `$scrypt$N=1024,r=8,p=99$${salt}$${key}`,
    `$scrypt$N=1024,r=8,p=1$${salt}$${key}=junk`,
    `$scrypt$N=1024,r=8,p=1$$${key}`,
    `$scrypt$N=1024,r=8,p=1$${salt}$AAAA`,
  ];
  for (const h of cases) assert.equal(await verifyPassword('pw', h), false, h);
});
