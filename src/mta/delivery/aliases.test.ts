import test from 'node:test';
import assert from 'node:assert/strict';
import { createResolver, createRouter } from './index.js';
import { mtaWorld } from '../../testing/mta-fixtures.js';

async function resolver(aliases: Record<string, string[]>, o: { maxDepth?: number; maxTargets?: number } = {}) {
  const { store } = await mtaWorld({ aliases });
  return createResolver({ users: store.users, aliases: store.aliases, router: createRouter(store.domains), ...o });
}
const summary = (e: Awaited<ReturnType<Awaited<ReturnType<typeof resolver>>['expand']>>) => ({
  local: e.local.map((t) => t.address).sort(),
  remote: [...e.remote],
  unknown: [...e.unknown],
  loop: e.loop,
});

test('createResolver expands aliases recursively and deduplicates users', async () => {
  const r = await resolver({ 'all@example.org': ['ann@example.org', 'devs@example.org'], 'devs@example.org': ['Ann@Example.org', 'bob@example.org', 'x@other.test'] });
  assert.deepEqual(summary(await r.expand('all@example.org')), { local: ['ann@example.org', 'bob@example.org'], remote: ['x@other.test'], unknown: [], loop: false });
});

test('createResolver marks an address in another domain external (and a local alias forwarding there not)', async () => {
  const r = await resolver({ 'fwd@example.org': ['x@other.test'] });
  const out = await r.expand('Y@Other.test');
  assert.deepEqual({ remote: out.remote, external: out.external }, { remote: ['Y@other.test'], external: true });
  const fwd = await r.expand('fwd@example.org');
  assert.deepEqual({ remote: fwd.remote, external: fwd.external }, { remote: ['x@other.test'], external: false });
});

test('createResolver prefers a user over the catch-all and uses the catch-all for unknown addresses', async () => {
  const r = await resolver({ '@example.org': ['bob@example.org'] });
  assert.deepEqual(summary(await r.expand('ann@example.org')).local, ['ann@example.org']);
  assert.deepEqual(summary(await r.expand('nobody@example.org')).local, ['bob@example.org']);
  assert.deepEqual(summary(await r.expand('nobody@example.org', { catchAll: false })), { local: [], remote: [], unknown: ['nobody@example.org'], loop: false });
});

test('createResolver ends cycles and bounds depth and fan-out, reporting loop', async () => {
  const cyc = await resolver({ 'a@example.org': ['b@example.org'], 'b@example.org': ['a@example.org', 'ann@example.org'] });
  assert.deepEqual(summary(await cyc.expand('a@example.org')), { local: ['ann@example.org'], remote: [], unknown: [], loop: true });
  const chain: Record<string, string[]> = {};
  for (let i = 0; i < 20; i++) chain[`l${i}@example.org`] = [`l${i + 1}@example.org`];
  chain['l20@example.org'] = ['ann@example.org'];
  const deep = await resolver(chain, { maxDepth: 10 });
  assert.deepEqual(summary(await deep.expand('l0@example.org')), { local: [], remote: [], unknown: [], loop: true });
  const wide = await resolver({ 'w@example.org': Array.from({ length: 50 }, (_, i) => `r${i}@other.test`) }, { maxTargets: 10 });
  const e = await wide.expand('w@example.org');
  assert.equal(e.remote.length, 10);
  assert.equal(e.loop, true);
});

test('createResolver treats a catch-all pointing back into its own domain at an unknown address as unknown', async () => {
  const r = await resolver({ '@example.org': ['nobody@example.org'] });
  assert.deepEqual(summary(await r.expand('x@example.org')), { local: [], remote: [], unknown: ['nobody@example.org'], loop: false });
});

test('createResolver finds users case-insensitively and never throws on addresses a table cannot hold', async () => {
  const r = await resolver({});
  assert.equal((await r.user('ANN@example.org'))?.address, 'ann@example.org');
  assert.equal(await r.user('has space@example.org'), undefined);
  assert.deepEqual(summary(await r.expand('"a b"@example.org')).unknown, ['"a b"@example.org']);
});
