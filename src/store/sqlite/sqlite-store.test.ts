import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeStoreContract } from '../contract.js';
import { openSqliteStore, type CommitMode, type SqliteStore } from './index.js';

async function harness(commit: CommitMode) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'postroom-sqlite-'));
  let store: SqliteStore = await openSqliteStore({ dataDir, commit });
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      return (store = await openSqliteStore({ dataDir, commit }));
    },
    storedBlobs: () => store.blobs.countFiles(),
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describeStoreContract('SqliteStore', () => harness('wal-fsync'));
describeStoreContract("SqliteStore with commit 'sqlite-full'", () => harness('sqlite-full'));

test('openSqliteStore example: a store in a fresh data directory', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'postroom-sqlite-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const store = await openSqliteStore({ dataDir });
  await store.domains.add('example.org');
  assert.deepEqual(await store.domains.list(), ['example.org']);
  await store.close();
});
