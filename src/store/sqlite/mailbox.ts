/**
 * A mailbox in SQLite: one row in `mailboxes` (with the never-decreasing `next_seq` that UIDs come from) and one
 * row per message in `messages`; bodies are blob files, possibly shared with a queue item, after an optional
 * `prefix` kept in the row (`size` counts both).
 *
 * Guarantees: a UID comes from `next_seq`, bumped in the same transaction as the insert, so it is never reused,
 * even after the last message is expunged or the process restarts; `append` is idempotent per `deliveryId`
 * (unique index per mailbox, checked in the same transaction; a duplicate's own blob is deleted when nothing
 * refers to it); a row is inserted only in a transaction that sees the blob referenced already or alive and not
 * being deleted, so a shared blob cannot vanish under a new message; `expunge` deletes its rows in one transaction
 * and the blob files nothing else refers to only after that commit is durable; the lock is a row naming the owner and this store instance,
 * taken over only when that instance is dead (see instances.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { MailboxLockedError, type AppendMeta, type BlobRef, type Mailbox, type MailboxLock, type MessageRecord, type MessageSummary, type PartIndex } from '../store.js';
import { formatUid } from '../ids.js';
import { openMessage } from '../message-bytes.js';
import type { SqliteContext } from './context.js';
import { readRows } from './read-rows.js';

interface MessageRow {
  mailbox_id: string;
  uid: string;
  blob_id: string;
  sha256: string;
  size: number;
  received_at: number;
  flags: string;
  parts: string | null;
  /** The part index's first entry's body offset (what Mailbox.summary gives), when a whole number. */
  body_offset: number | null;
  delivery_id: string | null;
  /** Bytes before the blob; `size` = prefix length + blob size. */
  prefix: Buffer | null;
}

/** A `mailboxes` row. */
export interface MailboxRow {
  id: string;
  user_id: string;
  name: string;
}

function toRecord(r: MessageRow): MessageRecord {
  const prefix = r.prefix !== null && r.prefix.length > 0 ? r.prefix : undefined;
  return {
    uid: r.uid,
    mailboxId: r.mailbox_id,
    blob: { id: r.blob_id, size: r.size - (prefix?.length ?? 0), sha256: r.sha256 },
    ...(prefix ? { prefix } : {}),
    size: r.size,
    receivedAt: new Date(r.received_at),
    flags: JSON.parse(r.flags) as string[],
    ...(r.parts !== null ? { parts: JSON.parse(r.parts) as PartIndex } : {}),
    ...(r.delivery_id !== null ? { deliveryId: r.delivery_id } : {}),
  };
}

const PAGE = 256;

/** A Mailbox of the SQLite store; obtain it from SqliteStore.mailbox. */
export class SqliteMailbox implements Mailbox {
  readonly id: string;
  readonly userId: string;
  readonly name: string;

  constructor(
    private readonly ctx: SqliteContext,
    row: MailboxRow,
  ) {
    this.id = row.id;
    this.userId = row.user_id;
    this.name = row.name;
  }

  async append(blob: BlobRef, meta: AppendMeta): Promise<MessageRecord> {
    const res = await this.ctx.commit.write(this.appendJob(blob, meta));
    await this.ctx.deleteBlobs(res.drop);
    return res.rec;
  }

  /** The work of `append` inside a commit (SqliteStore.appendAll runs several in one): the record, and blobs to drop. */
  appendJob(blob: BlobRef, meta: AppendMeta): () => { rec: MessageRecord; drop: string[] } {
    const flags = JSON.stringify([...new Set(meta.flags ?? [])]);
    const parts = meta.parts ? JSON.stringify(meta.parts) : null;
    const at = meta.parts?.[0]?.body;
    const prefix = meta.prefix && meta.prefix.length > 0 ? Buffer.from(meta.prefix) : null;
    return () => {
      if (meta.deliveryId !== undefined) {
        const dup = this.ctx
          .sql<[string, string], MessageRow>('SELECT * FROM messages WHERE mailbox_id = ? AND delivery_id = ?')
          .get(this.id, meta.deliveryId);
        if (dup) return { rec: toRecord(dup), drop: dup.blob_id === blob.id ? [] : this.ctx.unusedBlobs([blob.id]) };
      }
      const mb = this.ctx
        .sql<[string], { uid_stamp: string; next_seq: number }>('SELECT uid_stamp, next_seq FROM mailboxes WHERE id = ?')
        .get(this.id);
      if (!mb) throw new Error(`Mailbox ${this.id} no longer exists`);
      // Checked in the job itself: a shared blob (a queue item's) may lose its last reference to a job before this one.
      if (!this.ctx.blobUsable(blob.id)) throw new Error(`Blob not found: ${blob.id}`);
      this.ctx.sql('UPDATE mailboxes SET next_seq = next_seq + 1 WHERE id = ?').run(this.id);
      const row: MessageRow = {
        mailbox_id: this.id,
        uid: formatUid(mb.uid_stamp, mb.next_seq),
        blob_id: blob.id,
        sha256: blob.sha256,
        size: (prefix?.length ?? 0) + blob.size,
        received_at: meta.receivedAt.getTime(),
        flags,
        parts,
        body_offset: at !== undefined && Number.isSafeInteger(at) ? at : null,
        delivery_id: meta.deliveryId ?? null,
        prefix,
      };
      this.ctx.sql(
        `INSERT INTO messages (mailbox_id, uid, blob_id, sha256, size, received_at, flags, parts, body_offset, delivery_id, prefix)
         VALUES (@mailbox_id, @uid, @blob_id, @sha256, @size, @received_at, @flags, @parts, @body_offset, @delivery_id, @prefix)`,
      ).run(row);
      return { rec: toRecord(row), drop: [] as string[] };
    };
  }

  async *list(opts: { after?: string; limit?: number } = {}): AsyncIterable<MessageRecord> {
    const page = this.ctx.sql<[string, string, number], MessageRow>(
      'SELECT * FROM messages WHERE mailbox_id = ? AND uid > ? ORDER BY uid LIMIT ?',
    );
    let after = opts.after ?? '';
    let left = opts.limit ?? Infinity;
    while (left > 0) {
      // A page at a time: no statement stays open across an await.
      const rows = page.all(this.id, after, Math.min(PAGE, left));
      for (const r of rows) yield toRecord(r);
      if (rows.length < PAGE) return;
      left -= rows.length;
      after = rows[rows.length - 1]!.uid;
    }
  }

  async summary(): Promise<MessageSummary[]> {
    // One string for the whole mailbox, split here: building a JS array and two strings per row in better-sqlite3 cost
    // twice as much (10,000 messages: 12 ms against 6 ms, with the body offset in its own column, schema.ts 5, where
    // json_extract per row added 4 ms more). A uid is printable without spaces (RFC 1939 §7), so a space separates
    // fields; the count says whether that held, and if a uid ever had a space, the rows are read one by one instead.
    let row: [number, string | null];
    try {
      row = this.ctx
        .sql<[string], [number, string | null]>(
          "SELECT count(*), string_agg(uid || ' ' || size || ' ' || ifnull(body_offset, ''), ' ' ORDER BY uid) FROM messages WHERE mailbox_id = ?",
        )
        .raw(true)
        .get(this.id)!;
    } catch (err) {
      // A string longer than SQLite or V8 allow (some ten million messages): row by row. Any other error is the
      // caller's, as for every read.
      if ((err as { code?: unknown }).code === 'SQLITE_TOOBIG' || err instanceof RangeError) return this.summaryByRow();
      throw err;
    }
    const [count, joined] = row;
    const f = joined?.split(' ') ?? [];
    if (f.length !== 3 * count) return this.summaryByRow();
    const out = new Array<MessageSummary>(count);
    for (let i = 0, j = 0; i < count; i++, j += 3) {
      const at = f[j + 2]!;
      out[i] = at === '' ? { uid: f[j]!, size: Number(f[j + 1]) } : { uid: f[j]!, size: Number(f[j + 1]), bodyOffset: Number(at) };
    }
    return out;
  }

  /** The summary a row at a time (raw rows: no object per row before the one returned). */
  summaryByRow(): MessageSummary[] {
    const rows = this.ctx
      .sql<[string], [string, number, number | null]>('SELECT uid, size, body_offset FROM messages WHERE mailbox_id = ? ORDER BY uid')
      .raw(true)
      .all(this.id);
    return rows.map(([uid, size, at]) => (at === null ? { uid, size } : { uid, size, bodyOffset: at }));
  }

  async get(uid: string): Promise<MessageRecord | undefined> {
    const r = this.ctx.sql<[string, string], MessageRow>('SELECT * FROM messages WHERE mailbox_id = ? AND uid = ?').get(this.id, uid);
    return r && toRecord(r);
  }

  async open(uid: string, range?: { start: number; end: number }): Promise<Readable> {
    const r = await this.get(uid);
    if (!r) throw new Error(`No message with UID ${uid} in mailbox ${this.id}`);
    return openMessage(r.prefix, (br) => this.ctx.blobs.get(r.blob, br), range);
  }

  async readMany(uids: readonly string[], maxBytes: number): Promise<(readonly Buffer[] | undefined)[]> {
    const rows = readRows(this.ctx, this.id, uids);
    // Every uid is checked before any file is read: an unknown one fails the batch with no read left running.
    const missing = rows.findIndex((r) => r === undefined);
    if (missing >= 0) throw new Error(`No message with UID ${uids[missing]!} in mailbox ${this.id}`);
    const out = new Array<readonly Buffer[] | undefined>(uids.length).fill(undefined);
    for (let i = 0; i < uids.length; i++) {
      const [, size, prefix, data, blobId] = rows[i]!;
      if (size > maxBytes) continue;
      const head = prefix !== null && prefix.length > 0 ? prefix : undefined;
      // An inline body came with its row (inline-blobs.ts); a body in a file is read whole, one file at a time, so a
      // batch does not fill the thread pool the commits' fsyncs also wait on.
      const body = data ?? (await this.ctx.blobs.files.readWhole(blobId!));
      out[i] = head ? [head, body] : [body];
    }
    return out;
  }

  async setFlags(uids: readonly string[], change: { add?: readonly string[]; remove?: readonly string[] }): Promise<void> {
    await this.ctx.commit.write(() => {
      const read = this.ctx.sql<[string, string], { flags: string }>('SELECT flags FROM messages WHERE mailbox_id = ? AND uid = ?');
      const write = this.ctx.sql('UPDATE messages SET flags = ? WHERE mailbox_id = ? AND uid = ?');
      for (const uid of uids) {
        const r = read.get(this.id, uid);
        if (!r) continue;
        const flags = new Set([...(JSON.parse(r.flags) as string[]), ...(change.add ?? [])]);
        for (const f of change.remove ?? []) flags.delete(f);
        write.run(JSON.stringify([...flags]), this.id, uid);
      }
    });
  }

  async expunge(uids: readonly string[]): Promise<void> {
    if (uids.length === 0) return;

    const drop = await this.ctx.commit.write(() => {
      const read = this.ctx.sql<[string, string], { blob_id: string }>('SELECT blob_id FROM messages WHERE mailbox_id = ? AND uid = ?');
      const del = this.ctx.sql('DELETE FROM messages WHERE mailbox_id = ? AND uid = ?');
      const ids: string[] = [];
      for (const uid of uids) {
        const r = read.get(this.id, uid);
        if (!r) continue;
        del.run(this.id, uid);
        ids.push(r.blob_id);
      }
      return this.ctx.unusedBlobs(ids);
    });
    await this.ctx.deleteBlobs(drop);
  }

  async lock(owner: string): Promise<MailboxLock> {
    const { instance } = this.ctx;
    // Not waiting for the fsync (durable: false): the lock only has to hold while this instance lives, and a lock
    // row lost with a power failure belonged to an instance that is gone; every other instance sees it once
    // committed. A POP3 login saves one disk flush.
    const token = await this.ctx.commit.write(() => {
      const held = this.ctx
        .sql<[string], { owner: string; instance: string; token: string }>('SELECT owner, instance, token FROM mailbox_locks WHERE mailbox_id = ?')
        .get(this.id);
      if (held) {
        if (held.owner === owner && held.instance === instance.id) return held.token;
        if (instance.isLive(held.instance)) throw new MailboxLockedError(this.id);
      }
      const t = randomBytes(8).toString('hex');
      this.ctx.sql('INSERT OR REPLACE INTO mailbox_locks (mailbox_id, owner, instance, token) VALUES (?, ?, ?, ?)').run(this.id, owner, instance.id, t);
      return t;
    }, { durable: false });
    return {
      release: async () => {
        // A release lost with a power failure leaves the row of an instance that is gone: the next lock takes it over.
        await this.ctx.commit.write(() => this.ctx.sql('DELETE FROM mailbox_locks WHERE mailbox_id = ? AND token = ?').run(this.id, token), { durable: false });
      },
    };
  }

  async count(): Promise<{ messages: number; bytes: number }> {
    const r = this.ctx
      .sql<[string], { n: number; b: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS b FROM messages WHERE mailbox_id = ?')
      .get(this.id)!;
    return { messages: r.n, bytes: r.b };
  }
}
