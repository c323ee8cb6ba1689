/**
 * Storage (DESIGN.md §4): the contract (store.ts), the in-memory reference store, the embedded SQLite store with
 * blob files, and password hashing. The contract test suite (contract.ts) is imported by backend tests directly,
 * not from here, so that production code never loads node:test.
 */
export * from './store.js';
export { normalizeAddress, normalizeDomain } from './address.js';
export { hashPassword, unknownAccountHash, verifyPassword } from './password.js';
export { newQueueId } from './ids.js';
export { isOpen } from './queue-rules.js';
export { MemoryStore, MemoryBlobStore, createMemoryState, type MemoryState } from './memory/index.js';
export {
  openSqliteStore,
  SqliteStore,
  schemaVersion,
  defaultInlineMaxBytes,
  type SqliteStoreOptions,
  type StartupReport,
  type CommitMode,
  type CommitStats,
} from './sqlite/index.js';
export { FileBlobStore } from './blob/index.js';
