/**
 * Message bodies as immutable files: `<dataDir>/blobs/xx/<id>`, where `xx` is the first two hex digits of the id
 * (the second of writing, mod 256) and the other 30 are random.
 *
 * Guarantees: `put` streams the source (backpressure reaches the producer; nothing is buffered whole) into
 * `<dataDir>/tmp/`, counting bytes and hashing (SHA-256) on the way, fsyncs the file, renames it into place and
 * fsyncs the shard directory before it resolves, so a resolved `put` survives a crash or power loss. Concurrent
 * puts into one shard share directory fsyncs. A failed put (source error, `maxBytes` exceeded) removes its temp
 * file. Ids are 32 lower-case hex digits; anything else is refused before a path is built.
 * Limits: blobs are never modified; deleting does not fsync the directory (a blob that comes back after a crash
 * has no row and is garbage collected by the store at start). Collecting garbage is the owner's job: this class
 * only lists ids and removes temp files when asked.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLargeError, type BlobRef, type BlobStore } from '../store.js';
import { randomHex } from '../ids.js';
import { checkRange } from '../message-bytes.js';
import { Coalesced } from './coalesced.js';

const ID = /^[0-9a-f]{32}$/;

/** The 256 shard directory names, 00 … ff. */
export const shards: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** fsyncs a directory, so that names created or renamed in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A Writable onto an open file that fdatasyncs in `final`, so `finish` means "on disk". */
function fileSink(fh: FileHandle): Writable {
  return new Writable({
    highWaterMark: 256 * 1024,
    writev(chunks, done) {
      writeAll(fh, chunks.map((c) => c.chunk as Buffer)).then(() => done(), done);
    },
    final(done) {
      fh.datasync().then(() => done(), done);
    },
  });
}

async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  const total = bufs.reduce((n, b) => n + b.length, 0);
  let done = (await fh.writev(bufs)).bytesWritten;
  if (done === total) return;
  const all = Buffer.concat(bufs); // after a short write only (disk nearly full): rare, at most one batch
  while (done < total) {
    const { bytesWritten } = await fh.write(all, done, total - done);
    if (bytesWritten === 0) throw new Error('Cannot write blob: the file system accepts no more bytes');
    done += bytesWritten;
  }
}

/**
 * A new blob id: 32 lower-case hex digits. The first two are the current second mod 256 (the shard), so puts that
 * run together rename into one directory and share its fsync (about 1.1 fsyncs per blob at 100 concurrent puts
 * instead of 2); over time the shards fill evenly. The other 30 are random.
 * @example newBlobId() // '3fa0c2…' (32 hex digits)
 */
export function newBlobId(): string {
  return (Math.floor(Date.now() / 1000) & 0xff).toString(16).padStart(2, '0') + randomHex(15);
}

/**
 * The id of a blob reference, refused (Error) unless it is 32 lower-case hex digits: checked before any path is built.
 * @example blobIdOf('../../postroom.db') // throws Error: Invalid blob id: "../../postroom.db"
 */
export function blobIdOf(ref: BlobRef | string): string {
  const id = typeof ref === 'string' ? ref : ref.id;
  if (!ID.test(id)) throw new Error(`Invalid blob id: ${JSON.stringify(id)}`);
  return id;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * A BlobStore of immutable files under a data directory.
 * @example
 * const blobs = await FileBlobStore.open('/var/lib/postroom');
 * const ref = await blobs.put(body, { maxBytes: 25 * 1024 * 1024 });
 * const top = await blobs.get(ref, { start: 0, end: 1024 });
 */
export class FileBlobStore implements BlobStore {
  readonly blobDir: string;
  readonly tmpDir: string;
  readonly #dirSyncs = new Map<string, Coalesced>();
  /** Counters: blobs written, and fsyncs of files and of directories. */
  readonly stats = { puts: 0, fileSyncs: 0, dirSyncs: 0 };

  private constructor(readonly dataDir: string) {
    this.blobDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
  }

  /**
   * Creates the directories if needed and returns the store. The directories are fsynced on every open, also when
   * they existed: a process that crashed between creating and fsyncing them may have left them only in the page cache.
   */
  static async open(dataDir: string): Promise<FileBlobStore> {
    const s = new FileBlobStore(dataDir);
    await mkdir(s.tmpDir, { recursive: true });
    await mkdir(s.blobDir, { recursive: true });
    // One readdir instead of 256 mkdirs at every start: only the missing shards are created.
    const present = new Set((await readdir(s.blobDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name));
    await Promise.all(shards.filter((x) => !present.has(x)).map((x) => mkdir(path.join(s.blobDir, x), { recursive: true })));
    await fsyncDir(s.blobDir);
    await fsyncDir(dataDir);
    return s;
  }

  /** The file of a blob. */
  pathOf(ref: BlobRef | string): string {
    const id = blobIdOf(ref);
    return path.join(this.blobDir, id.slice(0, 2), id);
  }

  async put(src: Readable | AsyncIterable<Uint8Array>, opts: { maxBytes: number }): Promise<BlobRef> {
    const id = newBlobId();
    const tmp = path.join(this.tmpDir, `${id}.${process.pid}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer | string, _enc, done) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (b.length === 0) return done(); // pushing an empty chunk would stall the stream
        size += b.length;
        if (size > opts.maxBytes) return done(new BlobTooLargeError(opts.maxBytes));
        hash.update(b);
        done(null, b);
      },
    });
    const fh = await open(tmp, 'wx', 0o600);
    let written = false;
    try {
      await pipeline(src, meter, fileSink(fh));
      this.stats.fileSyncs++;
      written = true;
    } finally {
      await fh.close();
      if (!written) await rm(tmp, { force: true });
    }
    try {
      await rename(tmp, this.pathOf(id));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await this.#syncShard(id.slice(0, 2));
    this.stats.puts++;
    return { id, size, sha256: hash.digest('hex') };
  }

  async get(ref: BlobRef | string, range?: { start: number; end: number }): Promise<Readable> {
    checkRange(range);
    const file = this.pathOf(ref);
    const fh = await open(file, 'r').catch((err: unknown) => {
      throw isNotFound(err) ? new Error(`Blob not found: ${blobIdOf(ref)}`, { cause: err }) : err;
    });
    if (range && range.end === range.start) {
      await fh.close();
      return Readable.from([], { objectMode: false });
    }
    // Without a range, a ref's size bounds the reads: each read then allocates only what is left (not a whole
    // chunk for a small blob), and the end needs no extra empty read.
    const bounds = range ? { start: range.start, end: range.end - 1 } : typeof ref !== 'string' && ref.size > 0 ? { end: ref.size - 1 } : {};
    return fh.createReadStream({
      // 1 MiB reads: each read is a hand-off to the thread pool and back, whose wake-ups cost more than the copy.
      highWaterMark: 1024 * 1024,
      ...bounds,
    });
  }

  /** A whole blob in one buffer (for small ones: the caller checked its size). */
  async readWhole(ref: BlobRef | string): Promise<Buffer> {
    return readFile(this.pathOf(ref)).catch((err: unknown) => {
      throw isNotFound(err) ? new Error(`Blob not found: ${blobIdOf(ref)}`, { cause: err }) : err;
    });
  }

  async delete(ref: BlobRef | string): Promise<void> {
    await unlink(this.pathOf(ref)).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** The ids stored in one shard directory. */
  async idsIn(shard: string): Promise<string[]> {
    return (await readdir(path.join(this.blobDir, shard))).filter((n) => ID.test(n));
  }

  /** The names of the files in the temp directory. */
  async tempFiles(): Promise<string[]> {
    return readdir(this.tmpDir);
  }

  /** Removes every temp file (only safe while no other writer uses this data directory). */
  async removeTempFiles(): Promise<number> {
    const names = await this.tempFiles();
    await Promise.all(names.map((n) => rm(path.join(this.tmpDir, n), { force: true, recursive: true })));
    return names.length;
  }

  /** How many blobs and temp files exist (for tests and `status`). */
  async countFiles(): Promise<number> {
    const per = await Promise.all(shards.map((s) => this.idsIn(s).then((ids) => ids.length)));
    return per.reduce((a, b) => a + b, 0) + (await this.tempFiles()).length;
  }

  #syncShard(shard: string): Promise<void> {
    let c = this.#dirSyncs.get(shard);
    if (!c) {
      c = new Coalesced(() => {
        this.stats.dirSyncs++;
        return fsyncDir(path.join(this.blobDir, shard));
      });
      this.#dirSyncs.set(shard, c);
    }
    return c.request();
  }
}
