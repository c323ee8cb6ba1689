/**
 * Group commit for better-sqlite3: every write of the store is a job, and the jobs that arrive while a commit is
 * pending run together in one transaction followed by one fsync. Each caller's promise settles only after the
 * commit that holds its job is durable.
 *
 * Modes (see the README of this folder for the measurements behind the default):
 * - 'wal-fsync' (default): `synchronous=OFF`, so the commit itself only write()s WAL frames; the WAL file is then
 *   fdatasync'ed on the libuv thread pool, off the event loop, and callers are answered after that. While that
 *   fsync runs, new jobs queue up and form the next batch. Checkpoints run under `synchronous=FULL` (the WAL is
 *   synced before and the database file after, as SQLite does), never automatically, so the WAL is never reset
 *   over frames that are not yet in a synced database file; they run on a thread of their own with a second
 *   connection (checkpoint-worker.ts), so their copying and fsyncs stop neither the event loop nor the commits.
 *   Durable against power loss.
 * - 'sqlite-full': `synchronous=FULL`; SQLite fsyncs the WAL inside COMMIT, on the event loop. Durable.
 * - 'sqlite-normal': `synchronous=NORMAL`; in WAL mode a commit is not fsynced (only checkpoints are), so the
 *   last commits can roll back after a power loss (not after a process crash). For measurements only.
 * Reads on the connection can see a commit whose fsync is still running (nothing is acknowledged before it ends,
 * and a crash can only lose what was never acknowledged). Each job runs in its own savepoint: a job that throws rejects its caller only and leaves no change behind.
 * If an fsync fails the store stops accepting writes (after a failed fsync the kernel may have dropped dirty
 * pages, so nothing later could be trusted).
 */
import type Database from 'better-sqlite3';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

const defaultCheckpointBytes = 16 * 1024 * 1024;

/** How commits reach stable storage. */
export type CommitMode = 'wal-fsync' | 'sqlite-full' | 'sqlite-normal';

interface Job {
  readonly fn: () => unknown;
  /** False: answered once committed, before the fsync (a later durable commit covers it: the WAL is sequential). */
  readonly durable: boolean;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  done?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/** Counters for tests and the benchmark. */
export interface CommitStats {
  batches: number;
  jobs: number;
  maxBatch: number;
  checkpoints: number;
  /** Time the event loop spent inside COMMITs and checkpoints (ms), in total and at worst. */
  blockedMs: number;
  maxBlockedMs: number;
}

/** Options of GroupCommitter.start. */
export interface CommitterOptions {
  readonly mode: CommitMode;
  /** The database file; its WAL is `${dbPath}-wal`. */
  readonly dbPath: string;
  /** Most jobs in one transaction (default 1000; 1 turns group commit off, for measurements). */
  readonly maxBatch?: number;
  /** Checkpoint (wal-fsync mode) when the WAL grows beyond this many bytes (default 16 MiB). */
  readonly checkpointBytes?: number;
}

/**
 * Batches write jobs into shared transactions and fsyncs.
 * @example
 * const c = await GroupCommitter.start(db, { mode: 'wal-fsync', dbPath });
 * const id = await c.write(() => insert.run(x).lastInsertRowid); // resolved once durable
 */
export class GroupCommitter {
  readonly stats: CommitStats = { batches: 0, jobs: 0, maxBatch: 0, checkpoints: 0, blockedMs: 0, maxBlockedMs: 0 };
  #pending: Job[] = [];
  #scheduled = false;
  #syncing = false;
  #failed: Error | undefined;
  #idle: (() => void)[] = [];
  readonly #batch: Database.Transaction<(jobs: Job[]) => void>;
  readonly #checkpointBytes: number;
  /** The checkpoint thread (wal-fsync mode), started on the first checkpoint. */
  #checkpointer: Worker | undefined;
  /** The checkpoint running on that thread, if any. */
  #checkpointing: Promise<void> | undefined;
  /** That thread finished a checkpoint: the frames written meanwhile are copied on this connection, between batches. */
  #finish = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly opts: CommitterOptions,
    private readonly wal: FileHandle | undefined,
  ) {
    const one = db.transaction((fn: () => unknown) => fn());
    this.#batch = db.transaction((jobs: Job[]) => {
      for (const j of jobs) {
        try {
          j.done = { ok: true, value: one(j.fn) };
        } catch (error) {
          j.done = { ok: false, error };
        }
      }
    });
    this.#checkpointBytes = opts.checkpointBytes ?? defaultCheckpointBytes;
  }

  /** Sets the synchronous mode on `db` and returns a committer (opens the WAL for fsync in wal-fsync mode). */
  static async start(db: Database.Database, opts: CommitterOptions): Promise<GroupCommitter> {
    const sync = { 'wal-fsync': 'OFF', 'sqlite-full': 'FULL', 'sqlite-normal': 'NORMAL' }[opts.mode];
    let wal: FileHandle | undefined;
    if (opts.mode === 'wal-fsync') {
      db.pragma('wal_autocheckpoint = 0');
      // After a checkpoint the next commit restarts the WAL and truncates it to this size, so its file size
      // tells how much has been written since.
      db.pragma(`journal_size_limit = ${Math.floor((opts.checkpointBytes ?? defaultCheckpointBytes) / 4)}`);
      wal = await open(`${opts.dbPath}-wal`, 'r');
    } else {
      db.pragma('wal_autocheckpoint = 1000');
    }
    db.pragma(`synchronous = ${sync}`);
    return new GroupCommitter(db, opts, wal);
  }

  /**
   * Runs `fn` inside the next batch; resolves with its result once the batch is durable, or, with
   * `durable: false`, once it is committed: such a write becomes durable with the next durable commit (WAL frames
   * reach the disk in order), so a caller that follows it with a durable write needs only that write's fsync.
   */
  write<T>(fn: () => T, opts: { durable?: boolean } = {}): Promise<T> {
    if (this.#failed) return Promise.reject(new Error('Storage is unusable after a failed fsync', { cause: this.#failed }));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, durable: opts.durable ?? true, resolve: resolve as (v: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Resolves when no job is queued or being committed. */
  idle(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Waits for idle, checkpoints under synchronous=FULL and closes the WAL handle (the db stays open). */
  async stop(): Promise<void> {
    await this.idle();
    await this.#checkpointing;
    if (this.#checkpointer) {
      const w = this.#checkpointer;
      this.#checkpointer = undefined;
      await new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.postMessage('close');
      });
    }
    this.db.pragma('synchronous = FULL');
    this.db.pragma('wal_checkpoint(PASSIVE)');
    await this.wal?.close();
  }

  #busy(): boolean {
    return this.#pending.length > 0 || this.#scheduled || this.#syncing;
  }

  #schedule(): void {
    if (this.#scheduled || this.#syncing) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const jobs = this.#pending.splice(0, this.opts.maxBatch ?? 1000);
    if (jobs.length > 0) {
      const t = performance.now();
      try {
        this.#batch.immediate(jobs);
      } catch (error) {
        for (const j of jobs) j.reject(error);
        return this.#after();
      } finally {
        this.#blocked(t);
      }
      this.stats.batches++;
      this.stats.jobs += jobs.length;
      this.stats.maxBatch = Math.max(this.stats.maxBatch, jobs.length);
      const durable = jobs.filter((j) => j.durable);
      if (durable.length < jobs.length) answer(jobs.filter((j) => !j.durable));
      if (this.wal && durable.length > 0) {
        this.#syncing = true;
        void this.#syncWal(durable);
        return;
      }
      answer(durable);
    }
    this.#after();
  }

  async #syncWal(jobs: Job[]): Promise<void> {
    try {
      await this.wal!.datasync();
      answer(jobs);
    } catch (error) {
      this.#failed = error as Error;
      for (const j of jobs) j.reject(new Error('Cannot make the commit durable: fsync failed', { cause: error }));
    }
    try {
      await this.#maybeCheckpoint();
    } catch {
      // A checkpoint that could not run (busy reader, I/O) leaves a longer WAL; the next batch tries again.
    }
    this.#syncing = false;
    this.#after();
  }

  /**
   * Starts a checkpoint on the checkpoint thread when the WAL has grown past `checkpointBytes`; commits go on
   * meanwhile (a PASSIVE checkpoint never blocks the writer). `stop()` waits for it.
   */
  async #maybeCheckpoint(): Promise<void> {
    if (this.#failed || this.#checkpointing) return;
    if (this.#finish) {
      // Under a steady load the writer never finds every frame copied, so SQLite never restarts the WAL: the
      // frames committed while the thread copied are copied here, between two batches (a few, and the bulk of the
      // database file is already synced), and the next commit restarts the WAL and cuts it to journal_size_limit.
      this.#finish = false;
      this.checkpoint();
      return;
    }
    const size = (await this.wal!.stat()).size;
    if (size < this.#checkpointBytes) return;
    this.#checkpointing = this.#checkpointOffThread().finally(() => {
      this.#checkpointing = undefined;
      this.#finish = true;
    });
  }

  #checkpointOffThread(): Promise<void> {
    const w = (this.#checkpointer ??= new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { dbPath: this.opts.dbPath } }));
    return new Promise<void>((resolve) => {
      const done = (msg: { ok: boolean }): void => {
        w.off('error', failed);
        if (msg.ok) this.stats.checkpoints++;
        resolve();
      };
      // A thread that fails is replaced at the next checkpoint; the WAL only grows meanwhile.
      const failed = (): void => {
        w.off('message', done);
        if (this.#checkpointer === w) this.#checkpointer = undefined;
        resolve();
      };
      w.once('message', done).once('error', failed);
      w.postMessage('checkpoint');
    });
  }

  /** Copies the WAL into the database file with fsyncs (under synchronous=FULL), then returns to the mode's setting. */
  checkpoint(): void {
    if (this.opts.mode !== 'wal-fsync') {
      this.db.pragma('wal_checkpoint(PASSIVE)');
      return;
    }
    const t = performance.now();
    this.db.pragma('synchronous = FULL');
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
      this.stats.checkpoints++;
    } finally {
      this.db.pragma('synchronous = OFF');
      this.#blocked(t);
    }
  }

  #blocked(since: number): void {
    const ms = performance.now() - since;
    this.stats.blockedMs += ms;
    this.stats.maxBlockedMs = Math.max(this.stats.maxBlockedMs, ms);
  }

  #after(): void {
    if (this.#pending.length > 0) this.#schedule();
    else if (!this.#busy()) for (const f of this.#idle.splice(0)) f();
  }
}

function answer(jobs: readonly Job[]): void {
  for (const j of jobs) {
    if (j.done?.ok) j.resolve(j.done.value);
    else j.reject(j.done?.error);
  }
}
