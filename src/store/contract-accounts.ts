/** Store contract, part 1: users, domains and aliases (see contract.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type MakeStore } from './contract-kit.js';

export function accountContract(make: MakeStore): void {
  test('UserRepo.create stores a user that get and getById return, with a lower-case domain', async (t) => {
    const { store } = await harness(t, make);
    const u = await store.users.create('Ann.Lee@Example.ORG', '$scrypt$hash');
    assert.equal(u.address, 'Ann.Lee@example.org');
    assert.equal(u.passwordHash, '$scrypt$hash');
    assert.equal(u.apopSecret, null);
    assert.ok(u.createdAt instanceof Date && !Number.isNaN(u.createdAt.getTime()));
    assert.deepEqual(await store.users.get('Ann.Lee@example.org'), u);
    assert.deepEqual(await store.users.getById(u.id), u);
    assert.equal(await store.users.getById('no-such-id'), undefined);
  });

  test('UserRepo.get ignores the case of the domain but not of the local part', async (t) => {
    const { store } = await harness(t, make);
    await store.users.create('ann@example.org', 'h');
    assert.equal((await store.users.get('ann@EXAMPLE.org'))?.address, 'ann@example.org');
    assert.equal(await store.users.get('ANN@example.org'), undefined);
  });

  test('UserRepo.create refuses a duplicate address, also when only the domain case differs', async (t) => {
    const { store } = await harness(t, make);
    await store.users.create('bob@example.org', 'h1');
    await assert.rejects(store.users.create('bob@example.org', 'h2'));
    await assert.rejects(store.users.create('bob@Example.Org', 'h2'));
    assert.equal((await store.users.get('bob@example.org'))?.passwordHash, 'h1');
    assert.equal((await store.users.list()).length, 1);
  });

  test('UserRepo.create refuses an address without a local part or a domain', async (t) => {
    const { store } = await harness(t, make);
    for (const bad of ['', 'nobody', '@example.org', 'ann@', 'a b@example.org']) {
      await assert.rejects(store.users.create(bad, 'h'), Error, bad);
    }
    assert.deepEqual(await store.users.list(), []);
  });

  test('UserRepo.list returns every user by address and delete removes one', async (t) => {
    const { store } = await harness(t, make);
    await store.users.create('zed@example.org', 'h');
    await store.users.create('amy@example.org', 'h');
    assert.deepEqual((await store.users.list()).map((u) => u.address), ['amy@example.org', 'zed@example.org']);
    assert.equal(await store.users.delete('ZED@example.org'), false);
    assert.equal(await store.users.delete('zed@EXAMPLE.org'), true);
    assert.equal(await store.users.delete('zed@example.org'), false);
    assert.deepEqual((await store.users.list()).map((u) => u.address), ['amy@example.org']);
    const again = await store.users.create('zed@example.org', 'h');
    assert.ok(again.address === 'zed@example.org');
  });

  test('UserRepo.setPassword and setApopSecret change the stored values and report unknown users', async (t) => {
    const { store } = await harness(t, make);
    const u = await store.users.create('ann@example.org', 'old');
    assert.equal(await store.users.setPassword('ann@Example.org', 'new'), true);
    assert.equal(await store.users.setApopSecret('ann@example.org', 'tanstaaf'), true);
    const got = await store.users.getById(u.id);
    assert.equal(got?.passwordHash, 'new');
    assert.equal(got?.apopSecret, 'tanstaaf');
    assert.equal(await store.users.setApopSecret('ann@example.org', null), true);
    assert.equal((await store.users.get('ann@example.org'))?.apopSecret, null);
    assert.equal(await store.users.setPassword('nobody@example.org', 'x'), false);
    assert.equal(await store.users.setApopSecret('nobody@example.org', 'x'), false);
  });

  test('DomainRepo adds, lists, finds and removes domains without regard to case', async (t) => {
    const { store } = await harness(t, make);
    await store.domains.add('Example.ORG');
    await store.domains.add('example.org');
    await store.domains.add('b.example');
    assert.deepEqual(await store.domains.list(), ['b.example', 'example.org']);
    assert.equal(await store.domains.has('EXAMPLE.org'), true);
    assert.equal(await store.domains.has('other.test'), false);
    assert.equal(await store.domains.remove('B.Example'), true);
    assert.equal(await store.domains.remove('b.example'), false);
    assert.deepEqual(await store.domains.list(), ['example.org']);
    await assert.rejects(store.domains.add(''));
  });

  test('AliasRepo maps a source or an @domain catch-all to targets; add replaces, remove deletes', async (t) => {
    const { store } = await harness(t, make);
    await store.aliases.add('postmaster@Example.org', ['ann@example.org', 'bob@elsewhere.test']);
    await store.aliases.add('@example.org', ['ann@example.org']);
    assert.deepEqual(await store.aliases.get('postmaster@EXAMPLE.ORG'), ['ann@example.org', 'bob@elsewhere.test']);
    assert.deepEqual(await store.aliases.get('@Example.org'), ['ann@example.org']);
    assert.equal(await store.aliases.get('ann@example.org'), undefined);
    await store.aliases.add('postmaster@example.org', ['carl@example.org']);
    assert.deepEqual(await store.aliases.list(), [
      { source: '@example.org', targets: ['ann@example.org'] },
      { source: 'postmaster@example.org', targets: ['carl@example.org'] },
    ]);
    assert.equal(await store.aliases.remove('postmaster@example.org'), true);
    assert.equal(await store.aliases.remove('postmaster@example.org'), false);
    assert.equal(await store.aliases.get('postmaster@example.org'), undefined);
    await assert.rejects(store.aliases.add('x@example.org', []));
  });
}
