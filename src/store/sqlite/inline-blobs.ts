/**
 * The SQLite store's BlobStore: small bodies live in the database (`blob_bodies`), larger ones as immutable files
 * (FileBlobStore). Both kinds share one id space (32 hex digits), so rows refer to either the same way.
 *
 * Why: a file body costs its own fsync (plus open, write, close, rename and a shared directory fsync), one per
 * message whatever the concurrency; a body of up to `inlineMaxBytes` (default 64 KiB) instead rides in the next
 * group commit, so many messages share one fsync of the WAL (the lever issue 3 names). Dovecot's mdbox and
 * Stalwart keep small messages together for the same reason.
 * Guarantees: `put` resolves only once the body is durable (its row is committed and the WAL fsynced, or its file
 * fsynced, renamed and the directory fsynced) — with `durable: false`, a row once committed: the caller's next
 * durable write fsyncs the WAL, which holds the row's frames before its own; the source is read with backpressure and at most
 * `inlineMaxBytes` of it is held in memory: past that the body streams to a file. A body row is deleted in the
 * same transaction that drops the last reference to it (see SqliteContext.unusedBlobs), so it cannot outlive or
 * predecease its rows. Limits: `maxBytes` as FileBlobStore.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobTooLargeError, type BlobRef, type BlobStore, type PutOptions } from '../store.js';
import { blobIdOf, newBlobId, type FileBlobStore } from '../blob/index.js';
import { checkRange } from '../message-bytes.js';
import type { GroupCommitter } from './committer.js';
import type Database from 'better-sqlite3';

/** Default largest body kept in the database. */
export const defaultInlineMaxBytes = 64 * 1024;

/** Bodies in the database when small, in files otherwise. */
export class SqliteBlobStore implements BlobStore {
  readonly #select: Database.Statement<[string], { data: Buffer }>;
  readonly #exists: Database.Statement<[string], { one: number }>;
  readonly #insert: Database.Statement<[string, Buffer]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #count: Database.Statement<[], { n: number }>;

  /**
   * @example
   * const blobs = new SqliteBlobStore(db, committer, await FileBlobStore.open(dataDir), 64 * 1024);
   */
  constructor(
    db: Database.Database,
    private readonly commit: GroupCommitter,
    /** The files of bodies over `inlineMaxBytes`. */
    readonly files: FileBlobStore,
    /** Largest body kept in the database (0: every body is a file). */
    readonly inlineMaxBytes: number = defaultInlineMaxBytes,
  ) {
    this.#select = db.prepare('SELECT data FROM blob_bodies WHERE id = ?');
    this.#exists = db.prepare('SELECT 1 AS one FROM blob_bodies WHERE id = ?');
    this.#insert = db.prepare('INSERT INTO blob_bodies (id, data) VALUES (?, ?)');
    this.#delete = db.prepare('DELETE FROM blob_bodies WHERE id = ?');
    this.#count = db.prepare('SELECT count(*) AS n FROM blob_bodies');
  }

  async put(src: Readable | AsyncIterable<Uint8Array>, opts: PutOptions): Promise<BlobRef> {
    const limit = Math.min(this.inlineMaxBytes, opts.maxBytes);
    const it = (src as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let size = 0;
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      const b = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      size += b.length;
      head.push(b);
      if (size > limit) {
        if (size > opts.maxBytes) {
          await it.return?.();
          throw new BlobTooLargeError(opts.maxBytes);
        }
        // Too big for a row: the file gets what was read so far, then the rest of the same source.
        return this.files.put(
          (async function* () {
            yield* head;
            for (let n = await it.next(); !n.done; n = await it.next()) yield typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
          })(),
          opts,
        );
      }
    }
    const data = head.length === 1 ? head[0]! : Buffer.concat(head, size);
    const id = newBlobId();
    await this.commit.write(() => this.#insert.run(id, data), { durable: opts.durable ?? true });
    return { id, size, sha256: createHash('sha256').update(data).digest('hex') };
  }

  async get(ref: BlobRef | string, range?: { start: number; end: number }): Promise<Readable> {
    checkRange(range);
    const row = this.#select.get(blobIdOf(ref));
    if (!row) return this.files.get(ref, range);
    const data = range ? row.data.subarray(range.start, range.end) : row.data;
    return Readable.from(data.length > 0 ? [data] : [], { objectMode: false });
  }

  /** Deletes a body: its row (in a commit of its own) and its file, whichever exists. */
  async delete(ref: BlobRef | string): Promise<void> {
    const id = blobIdOf(ref);
    if (this.#exists.get(id)) await this.commit.write(() => this.#delete.run(id));
    await this.files.delete(id);
  }

  /** Whether a body row exists (a read on the connection: inside a write job it sees that job's changes). */
  hasRow(id: string): boolean {
    return this.#exists.get(id) !== undefined;
  }

  /** Inside a write job: deletes a body row, returning whether there was one. */
  deleteRow(id: string): boolean {
    return this.#delete.run(id).changes > 0;
  }

  /** Bodies stored: rows, files and temp files (for tests and `status`). */
  async countStored(): Promise<number> {
    return this.#count.get()!.n + (await this.files.countFiles());
  }
}
