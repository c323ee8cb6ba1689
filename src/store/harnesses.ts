/**
 * The StoreHarness of each backend, for the contract suite (contract.ts) and any test that runs against every
 * store: MemoryStore (a new store on the same MemoryState is the restart) and SqliteStore in a fresh temporary
 * directory (reopened from it; removed on cleanup). Test code only, not exported by index.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { StoreHarness } from './contract-kit.js';
import { createMemoryState, MemoryStore } from './memory/index.js';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite/index.js';

/**
 * A MemoryStore harness.
 * @example describeStoreContract('MemoryStore', memoryHarness, { blobsInMemory: true });
 */
export async function memoryHarness(): Promise<StoreHarness & { readonly store: MemoryStore }> {
  const state = createMemoryState();
  let store = new MemoryStore(state);
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      return (store = new MemoryStore(state));
    },
    storedBlobs: async () => state.blobs.size,
    cleanup: () => store.close(),
  };
}

/**
 * A SqliteStore harness in a new temporary directory whose name starts with `prefix`.
 * @example describeStoreContract('SqliteStore', () => sqliteHarness({ commit: 'sqlite-full' }));
 */
export async function sqliteHarness(
  opts: Omit<SqliteStoreOptions, 'dataDir'> = {},
  prefix = 'postroom-sqlite-',
): Promise<StoreHarness & { readonly store: SqliteStore }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), prefix));
  const all: SqliteStoreOptions = { ...opts, dataDir };
  let store = await openSqliteStore(all);
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await store.close();
      return (store = await openSqliteStore(all));
    },
    storedBlobs: () => store.blobs.countStored(),
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
