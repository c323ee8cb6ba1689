/**
 * The reads behind `Mailbox.readMany` (mailbox.ts): the rows of a batch of messages, with their inline bodies, in
 * one transaction, on statements prepared once per connection.
 *
 * Guarantees: one snapshot for the batch, and one round of WAL read locks instead of one per message. Up to 64
 * ascending uids (POP3 read-ahead) are read with one index range scan, capped at twice as many rows as asked at
 * most, so a sparse set costs at most twice the lookups; what the scan did not bring is looked up one by one.
 * Raw rows: no object is built per row.
 */
import type Database from 'better-sqlite3';

/** A raw row: uid, size, prefix, blob id, inline body (null: the body is in a file). */
export type ReadRow = [string, number, Buffer | null, string, Buffer | null];

/** Most uids read with one range scan; a longer batch is looked up uid by uid. */
const RANGE_MAX = 64;
const COLUMNS = 'SELECT m.uid, m.size, m.prefix, m.blob_id, b.data FROM messages m LEFT JOIN blob_bodies b ON b.id = m.blob_id';

/** One connection's statements and its batch transaction. */
interface Reads {
  readonly one: Database.Statement<[string, string], ReadRow>;
  /** By cap (a power of two): the LIMIT is written into the SQL, since a bound LIMIT makes SQLite prepare the statement again on every run (its planner looks at the LIMIT value). */
  readonly ranges: Map<number, Database.Statement<[string, string, string], ReadRow>>;
  readonly batch: (mailboxId: string, uids: readonly string[]) => (ReadRow | undefined)[];
}

const perConnection = new WeakMap<Database.Database, Reads>();

function readsOf(db: Database.Database): Reads {
  let r = perConnection.get(db);
  if (r) return r;
  const one = db.prepare<[string, string], ReadRow>(`${COLUMNS} WHERE m.mailbox_id = ? AND m.uid = ?`).raw(true);
  const ranges = new Map<number, Database.Statement<[string, string, string], ReadRow>>();
  const batch = db.transaction((mailboxId: string, uids: readonly string[]) => rowsOf(db, mailboxId, uids));
  r = { one, ranges, batch };
  perConnection.set(db, r);
  return r;
}

function rowsOf(db: Database.Database, mailboxId: string, uids: readonly string[]): (ReadRow | undefined)[] {
  const { one, ranges } = readsOf(db);
  const rows = new Array<ReadRow | undefined>(uids.length).fill(undefined);
  let ascending = uids.length <= RANGE_MAX;
  for (let i = 1; i < uids.length && ascending; i++) ascending = uids[i - 1]! < uids[i]!;
  if (ascending) {
    const cap = 2 ** Math.ceil(Math.log2(uids.length));
    let range = ranges.get(cap);
    if (!range) ranges.set(cap, (range = db.prepare<[string, string, string], ReadRow>(`${COLUMNS} WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid LIMIT ${cap}`).raw(true)));
    let i = 0;
    for (const r of range.all(mailboxId, uids[0]!, uids[uids.length - 1]!)) {
      while (i < uids.length && uids[i]! < r[0]) i++; // a uid the scan passed is missing: looked up below
      if (uids[i] === r[0]) rows[i++] = r;
    }
  }
  for (let i = 0; i < uids.length; i++) rows[i] ??= one.get(mailboxId, uids[i]!);
  return rows;
}

/**
 * The rows of `uids` of mailbox `mailboxId`, in their order (undefined for a uid not there): one statement for a
 * single uid (its own transaction), one transaction for a batch.
 *
 * @example
 * ```ts
 * const [row] = readRows(db, mailboxId, [uid]); // [uid, size, prefix, blobId, data]
 * ```
 */
export function readRows(db: Database.Database, mailboxId: string, uids: readonly string[]): (ReadRow | undefined)[] {
  const reads = readsOf(db);
  return uids.length === 1 ? [reads.one.get(mailboxId, uids[0]!)] : reads.batch(mailboxId, uids);
}
