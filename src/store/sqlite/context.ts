/**
 * What the SQLite repositories share: the connection, the group committer, the bodies and this instance.
 * Reads run directly on the connection (they see committed data); every write goes through `commit.write`.
 */
import type Database from 'better-sqlite3';
import type { GroupCommitter } from './committer.js';
import type { SqliteBlobStore } from './inline-blobs.js';
import type { Instance } from './instances.js';

/** Shared by the repositories of one SqliteStore. */
export interface SqliteContext {
  readonly db: Database.Database;
  /** A prepared statement, compiled once per SQL text. */
  sql<P extends unknown[] | {} = unknown[], R = unknown>(source: string): Database.Statement<P, R>;
  readonly commit: GroupCommitter;
  readonly blobs: SqliteBlobStore;
  readonly instance: Instance;
  /**
   * Inside a write job: the ids among `ids` that no message and no queue item refers to any more. Body rows among
   * them are deleted right here (in the same transaction); the caller must pass the result to `deleteBlobs` once
   * its commit is durable (files); until then they count as being deleted.
   */
  unusedBlobs(ids: Iterable<string>): string[];
  /**
   * Inside a write job: true when a new row may refer to the blob: it is not being deleted, and a row refers to it
   * already (so it cannot be deleted before this job commits) or its body row or file exists (a fresh blob). Every
   * job that inserts a row referring to a blob checks this first, so a row never points to a missing blob.
   */
  blobUsable(id: string): boolean;
  /** After the commit that dropped their last reference is durable: deletes blob files. */
  deleteBlobs(ids: readonly string[]): Promise<void>;
}
