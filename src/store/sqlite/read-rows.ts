/**
 * The reads behind `Mailbox.readMany` (mailbox.ts): the rows of a batch of messages, with their inline bodies, in
 * one transaction, on the store's prepared statements.
 *
 * Guarantees: one snapshot for the batch, and one round of WAL read locks instead of one per message. Up to 64
 * ascending uids (POP3 read-ahead) are read with one index range scan, capped at twice as many rows as asked at
 * most, so a sparse set costs at most twice the lookups; what the scan did not bring is looked up one by one.
 * Raw rows: no object is built per row.
 */
import type Database from 'better-sqlite3';
import type { SqliteContext } from './context.js';

/** A raw row: uid, size, prefix, inline body, or null and the blob id when the body is in a file. */
export type ReadRow = [string, number, Buffer | null, Buffer | null, string | null];

/** Most uids read with one range scan; a longer batch is looked up uid by uid. */
const RANGE_MAX = 64;
// The blob id only when the body is in a file: one string less to build per row of a batch of inline bodies.
const COLUMNS =
  'SELECT m.uid, m.size, m.prefix, b.data, CASE WHEN b.data IS NULL THEN m.blob_id END FROM messages m LEFT JOIN blob_bodies b ON b.id = m.blob_id';

/** The batch transaction per connection (better-sqlite3 builds the wrapper once). */
const batches = new WeakMap<Database.Database, (ctx: SqliteContext, mailboxId: string, uids: readonly string[]) => (ReadRow | undefined)[]>();

function rowsOf(ctx: SqliteContext, mailboxId: string, uids: readonly string[]): (ReadRow | undefined)[] {
  const one = ctx.sql<[string, string], ReadRow>(`${COLUMNS} WHERE m.mailbox_id = ? AND m.uid = ?`).raw(true);
  const rows = new Array<ReadRow | undefined>(uids.length).fill(undefined);
  let ascending = uids.length <= RANGE_MAX;
  for (let i = 1; i < uids.length && ascending; i++) ascending = uids[i - 1]! < uids[i]!;
  if (ascending) {
    // The cap is written into the SQL, rounded up to a power of two (a few statements, cached by the store): a bound
    // LIMIT makes SQLite prepare the statement again on every run (its planner looks at the LIMIT value).
    const cap = 2 ** Math.ceil(Math.log2(uids.length));
    const range = ctx.sql<[string, string, string], ReadRow>(`${COLUMNS} WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid LIMIT ${cap}`);
    let i = 0;
    for (const r of range.raw(true).all(mailboxId, uids[0]!, uids[uids.length - 1]!)) {
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
 * const [row] = readRows(ctx, mailboxId, [uid]); // [uid, size, prefix, data, blobId]
 * ```
 */
export function readRows(ctx: SqliteContext, mailboxId: string, uids: readonly string[]): (ReadRow | undefined)[] {
  if (uids.length === 0) return [];
  if (uids.length === 1) return rowsOf(ctx, mailboxId, uids);
  let batch = batches.get(ctx.db);
  if (!batch) batches.set(ctx.db, (batch = ctx.db.transaction(rowsOf)));
  return batch(ctx, mailboxId, uids);
}
