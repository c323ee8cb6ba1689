/**
 * The embedded default Store: SQLite (better-sqlite3 12, WAL) for every index, immutable files for bodies, in one
 * data directory: `postroom.db` (+ `-wal`, `-shm`), `blobs/xx/<id>`, `tmp/`, `run/`.
 *
 * Guarantees: every write resolves only once durable (group commit, see committer.ts; default 'wal-fsync':
 * one fdatasync of the WAL per batch, off the event loop); a blob is durable before any row can point to it and is
 * deleted only after the commit that dropped its last reference is durable; at start, when no other live process
 * has the directory open, stale temp files and blobs without a row are removed and dead instances' queue leases and mailbox locks
 * released (so a SIGKILL at any instant leaves nothing half done). Schema migrations run at open.
 * Limits: one writing process at a time performs well (others wait on SQLite's lock, busy timeout 5 s); reads
 * are synchronous on the event loop (they are index lookups).
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { AliasRepo, AppendMeta, BlobRef, DomainRepo, Mailbox, MessageRecord, Store, UserRepo } from '../store.js';
import { newId, newUidStamp } from '../ids.js';
import { FileBlobStore, fsyncDir, shards } from '../blob/index.js';
import { SqliteAliases, SqliteDomains, SqliteUsers } from './accounts.js';
import { SqliteBlobStore } from './inline-blobs.js';
import { GroupCommitter, type CommitMode, type CommitStats } from './committer.js';
import type { SqliteContext } from './context.js';
import { Instance } from './instances.js';
import { SqliteMailbox, type MailboxRow } from './mailbox.js';
import { SqliteQueue } from './queue.js';
import { migrate } from './schema.js';

/** Options of openSqliteStore. */
export interface SqliteStoreOptions {
  /** The data directory (created if missing). */
  readonly dataDir: string;
  /** How commits are made durable (default 'wal-fsync'; see committer.ts). */
  readonly commit?: CommitMode;
  /** WAL size that triggers a checkpoint in 'wal-fsync' mode (default 16 MiB). */
  readonly checkpointBytes?: number;
  /** Most writes per group commit (default 1000; 1 turns grouping off, for measurements). */
  readonly maxBatch?: number;
  /** Largest body kept in the database instead of a file (default 64 KiB; 0: files only). See inline-blobs.ts. */
  readonly inlineMaxBytes?: number;
}

/** What the start-up maintenance did. */
export interface StartupReport {
  /** False when another live process had the data directory open (nothing was collected). */
  readonly collected: boolean;
  readonly tempFiles: number;
  readonly orphanBlobs: number;
  readonly staleLocks: number;
  readonly staleLeases: number;
}

function nextShard(s: string): string {
  return s[0]! + String.fromCharCode(s.charCodeAt(1) + 1);
}

async function collectGarbage(db: Database.Database, blobs: FileBlobStore): Promise<Omit<StartupReport, 'collected'>> {
  const tempFiles = await blobs.removeTempFiles();
  // Body rows are deleted with their last reference, so none should be orphaned; a store written by a program
  // that crashed mid-way through a newer protocol is still cleaned here.
  const orphanRows = db
    .prepare('DELETE FROM blob_bodies WHERE id NOT IN (SELECT blob_id FROM messages) AND id NOT IN (SELECT blob_id FROM queue_items)')
    .run().changes;
  const used = db.prepare<[string, string, string, string], { blob_id: string }>(
    `SELECT blob_id FROM messages WHERE blob_id >= ? AND blob_id < ?
     UNION SELECT blob_id FROM queue_items WHERE blob_id >= ? AND blob_id < ?`,
  );
  let orphanBlobs = 0;
  for (const shard of shards) {
    const ids = await blobs.idsIn(shard);
    if (ids.length === 0) continue;
    const end = nextShard(shard);
    const keep = new Set(used.all(shard, end, shard, end).map((r) => r.blob_id));
    for (const id of ids) {
      if (keep.has(id)) continue;
      await blobs.delete(id);
      orphanBlobs++;
    }
  }
  const staleLocks = db.prepare('DELETE FROM mailbox_locks').run().changes;
  // Queue leases of dead processes too: their workers will never settle them, and waiting for the lease to run out
  // (minutes) would hold acknowledged mail back after every crash.
  const staleLeases = db.prepare('UPDATE queue_items SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL').run().changes;
  return { tempFiles, orphanBlobs: orphanBlobs + orphanRows, staleLocks, staleLeases };
}

/**
 * The SQLite Store. Open it with openSqliteStore.
 */
export class SqliteStore implements Store {
  readonly users: UserRepo;
  readonly domains: DomainRepo;
  readonly aliases: AliasRepo;
  readonly queue: SqliteQueue;
  readonly #ctx: SqliteContext;
  #closed = false;

  constructor(
    ctx: SqliteContext,
    /** What start-up maintenance did. */
    readonly startup: StartupReport,
  ) {
    this.#ctx = ctx;
    this.users = new SqliteUsers(ctx);
    this.domains = new SqliteDomains(ctx);
    this.aliases = new SqliteAliases(ctx);
    this.queue = new SqliteQueue(ctx);
  }

  get blobs(): SqliteBlobStore {
    return this.#ctx.blobs;
  }

  /** Group-commit counters (batches, jobs, largest batch, checkpoints). */
  get commitStats(): Readonly<CommitStats> {
    return this.#ctx.commit.stats;
  }

  async mailbox(userId: string, name = 'INBOX'): Promise<Mailbox> {
    const find = this.#ctx.sql<[string, string], MailboxRow>('SELECT id, user_id, name FROM mailboxes WHERE user_id = ? AND name = ?');
    const row =
      find.get(userId, name) ??
      (await this.#ctx.commit.write(() => {
        const again = find.get(userId, name);
        if (again) return again;
        if (!this.#ctx.sql('SELECT 1 FROM users WHERE id = ?').get(userId)) throw new Error(`Unknown user id: ${userId}`);
        const r: MailboxRow = { id: newId(), user_id: userId, name };
        this.#ctx
          .sql('INSERT INTO mailboxes (id, user_id, name, uid_stamp, next_seq) VALUES (?, ?, ?, ?, 1)')
          .run(r.id, userId, name, newUidStamp());
        return r;
      }));
    return new SqliteMailbox(this.#ctx, row);
  }

  async appendAll(copies: readonly { readonly mailbox: Mailbox; readonly blob: BlobRef; readonly meta: AppendMeta }[]): Promise<MessageRecord[]> {
    const jobs = copies.map((c) => {
      if (!(c.mailbox instanceof SqliteMailbox)) throw new Error('Cannot append: the mailbox is not of this store');
      return c.mailbox.appendJob(c.blob, c.meta);
    });
    // One transaction: if any append throws, none is kept.
    const res = await this.#ctx.commit.write(() => jobs.map((job) => job()));
    await this.#ctx.deleteBlobs(res.flatMap((r) => r.drop));
    return res.map((r) => r.rec);
  }

  async migrate(): Promise<void> {
    await this.#ctx.commit.write(() => migrate(this.#ctx.db));
  }

  /** Waits for pending commits, checkpoints, releases this instance's locks and closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { db, commit, instance } = this.#ctx;
    await commit.stop();
    db.prepare('DELETE FROM mailbox_locks WHERE instance = ?').run(instance.id);
    db.close();
    await instance.unregister();
  }
}

/**
 * Opens (creating if needed) the store in `dataDir`, runs migrations and start-up maintenance.
 * @example
 * const store = await openSqliteStore({ dataDir: './data' });
 * const id = await store.queue.enqueue(envelope, await store.blobs.put(body, { maxBytes }));
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const files = await FileBlobStore.open(dataDir);
  const dbPath = path.join(dataDir, 'postroom.db');
  const db = new Database(dbPath);
  let instance: Instance | undefined;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = FULL');
    migrate(db);
    await fsyncDir(dataDir);
    instance = await Instance.register(dataDir);
    let startup: StartupReport = { collected: false, tempFiles: 0, orphanBlobs: 0, staleLocks: 0, staleLeases: 0 };
    if ((await instance.others()).length === 0) startup = { collected: true, ...(await collectGarbage(db, files)) };
    const commit = await GroupCommitter.start(db, {
      dbPath,
      mode: opts.commit ?? 'wal-fsync',
      ...(opts.checkpointBytes !== undefined ? { checkpointBytes: opts.checkpointBytes } : {}),
      ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
    });
    const blobs = new SqliteBlobStore(db, commit, files, opts.inlineMaxBytes);
    const cache = new Map<string, Database.Statement>();
    // Blobs whose last reference a commit dropped and whose file is not deleted yet: no new row may point to them
    // (a message sharing a queue item's blob may be appended while that item is deleted).
    const dying = new Set<string>();
    const used = db.prepare<[string, string], { used: number }>(
      'SELECT EXISTS (SELECT 1 FROM messages WHERE blob_id = ?) OR EXISTS (SELECT 1 FROM queue_items WHERE blob_id = ?) AS used',
    );
    const ctx: SqliteContext = {
      db,
      commit,
      blobs,
      instance,
      sql<P extends unknown[] | {} = unknown[], R = unknown>(source: string): Database.Statement<P, R> {
        let s = cache.get(source);
        if (!s) cache.set(source, (s = db.prepare(source)));
        return s as unknown as Database.Statement<P, R>;
      },
      unusedBlobs: (ids) => {
        const out = [...new Set(ids)].filter((id) => used.get(id, id)?.used === 0 && !blobs.deleteRow(id));
        for (const id of out) dying.add(id);
        return out;
      },
      // A referenced blob is never dying (nothing may refer to a dying one) and exists, so the order of the checks
      // only sets the cost: a body row (the common case) answers with one lookup, a file with up to three and a stat.
      blobUsable: (id) => !dying.has(id) && (blobs.hasRow(id) || used.get(id, id)?.used === 1 || existsSync(files.pathOf(id))),
      deleteBlobs: async (ids) => {
        try {
          await Promise.all(ids.map((id) => files.delete(id)));
        } finally {
          for (const id of ids) dying.delete(id);
        }
      },
    };
    return new SqliteStore(ctx, startup);
  } catch (err) {
    db.close();
    await instance?.unregister();
    throw err;
  }
}
