/**
 * The SQLite schema as ordered migrations, and `migrate`, which brings a database up to date.
 *
 * Guarantees: each migration runs once, in order, inside one transaction with the version bump, so a crash leaves
 * the database at the old or the new version; a database written by a newer Postroom is refused rather than
 * damaged. Dates are integers (milliseconds since the epoch); lists are JSON text.
 * Limits: migrations only go forward.
 */
import type Database from 'better-sqlite3';

/** The migrations, oldest first; the schema version is the number of migrations applied. Append only. */
export const migrations: readonly string[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    apop_secret TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE domains (name TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE aliases (source TEXT PRIMARY KEY, targets TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE mailboxes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    uid_stamp TEXT NOT NULL,
    next_seq INTEGER NOT NULL,
    UNIQUE (user_id, name)
  );
  CREATE TABLE messages (
    mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    flags TEXT NOT NULL,
    parts TEXT,
    delivery_id TEXT,
    PRIMARY KEY (mailbox_id, uid)
  );
  CREATE UNIQUE INDEX messages_delivery ON messages (mailbox_id, delivery_id) WHERE delivery_id IS NOT NULL;
  CREATE INDEX messages_blob ON messages (blob_id);
  CREATE TABLE mailbox_locks (
    mailbox_id TEXT PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    instance TEXT NOT NULL,
    token TEXT NOT NULL
  );
  CREATE TABLE queue_items (
    id TEXT PRIMARY KEY,
    envelope TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    blob_size INTEGER NOT NULL,
    blob_sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    held INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER
  );
  CREATE INDEX queue_items_blob ON queue_items (blob_id);
  CREATE TABLE queue_rcpts (
    item_id TEXT NOT NULL REFERENCES queue_items(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    address TEXT NOT NULL,
    notify TEXT,
    orcpt TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'deferred', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt INTEGER NOT NULL,
    last_reply TEXT,
    remote_mta TEXT,
    PRIMARY KEY (item_id, idx)
  ) WITHOUT ROWID;
  CREATE INDEX queue_rcpts_due ON queue_rcpts (next_attempt) WHERE state IN ('pending', 'deferred');
  `,
  // 2: a message is `prefix` (bytes kept in the row, e.g. trace fields) + a blob that may be shared with a queue
  // item; `size` counts both. NULL for the messages stored before (their blob holds everything).
  `
  ALTER TABLE messages ADD COLUMN prefix BLOB;
  `,
  // 3: small bodies in the database (inline-blobs.ts): committed with the group commit instead of a file and an
  // fsync each. The id space is shared with the blob files.
  `
  CREATE TABLE blob_bodies (id TEXT PRIMARY KEY, data BLOB NOT NULL);
  `,
  // 4: per recipient, when it was last tried (DSN Last-Attempt-Date) and whether its delay notice went out (once).
  `
  ALTER TABLE queue_rcpts ADD COLUMN last_attempt INTEGER;
  ALTER TABLE queue_rcpts ADD COLUMN delay_reported INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: the body offset of a message (its part index's first entry's, `$[0].body`) in a column of its own, for a
  // mailbox's summary (what a POP3 login reads): no JSON parsed per row (10,000 messages: 4 ms less). A part index
  // that is not valid JSON (json_extract failed the whole summary on it), or whose offset is not a whole number,
  // gives NULL: TOP then finds the header's end itself.
  `
  ALTER TABLE messages ADD COLUMN body_offset INTEGER;
  UPDATE messages SET body_offset =
    CASE WHEN json_valid(parts) THEN (CASE WHEN json_type(parts, '$[0].body') = 'integer' THEN json_extract(parts, '$[0].body') END) END
    WHERE parts IS NOT NULL;
  `,
];

/** The version this program writes. */
export const schemaVersion = migrations.length;

/** The schema version of a database (0 for an empty one). */
export function currentVersion(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

/**
 * Applies the missing migrations; returns how many ran. Throws when the database is newer than this program.
 * @example migrate(db) // 1 on a new database, then 0
 */
export function migrate(db: Database.Database, list: readonly string[] = migrations): number {
  const from = db.transaction(() => currentVersion(db)).immediate();
  if (from > list.length) {
    throw new Error(`Cannot open database: schema version ${from} is newer than this program's ${list.length}`);
  }
  let ran = 0;
  for (let v = from; v < list.length; v++) {
    db.transaction(() => {
      // Another process may have migrated meanwhile: re-read under the write lock.
      if (currentVersion(db) !== v) return;
      db.exec(list[v]!);
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v + 1);
      ran++;
    }).immediate();
  }
  return ran;
}
