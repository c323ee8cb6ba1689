import test from 'node:test';
import assert from 'node:assert/strict';
import { createRouter } from './index.js';
import { mtaWorld } from '../../testing/mta-fixtures.js';

test('createRouter routes local domains (from the DomainRepo, read on every call) to local and others to remote', async () => {
  const { store } = await mtaWorld();
  const router = createRouter(store.domains);
  assert.equal(await router.route('ann@Example.ORG'), 'local');
  assert.equal(await router.route('x@new.test'), 'remote');
  await store.domains.add('new.test');
  assert.equal(await router.route('x@new.test'), 'local');
  assert.equal(await router.route('postmaster'), 'local');
});

test('createRouter accepts a function returning the set of local domains', async () => {
  const router = createRouter(async () => new Set(['a.test']));
  assert.equal(await router.route('u@A.test'), 'local');
  assert.equal(await router.route('u@b.test'), 'remote');
  assert.equal(await router.isLocalDomain(''), false);
});
