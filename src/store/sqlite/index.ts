/** The embedded default store: SQLite (better-sqlite3 12) and blob files in one data directory. */
export { openSqliteStore, SqliteStore, type SqliteStoreOptions, type StartupReport } from './sqlite-store.js';
export type { CommitMode, CommitStats } from './committer.js';
export { schemaVersion } from './schema.js';
export { defaultInlineMaxBytes } from './inline-blobs.js';
