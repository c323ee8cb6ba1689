/**
 * The WAL checkpoint of the SQLite store, on a thread of its own (committer.ts): a second connection to the same
 * database runs `wal_checkpoint(PASSIVE)` under `synchronous=FULL` when asked, so copying the WAL into the
 * database file and its fsyncs never stop the event loop or the commits.
 *
 * Why it is safe (SQLite's WAL rules): a PASSIVE checkpoint copies only committed frames and never blocks the
 * writer; with synchronous=FULL it syncs the database file before it records the frames as copied, and the writer
 * restarts the WAL over old frames only once every frame is recorded as copied.
 * Messages: the parent sends 'checkpoint' and gets `{ ok: true, log, copied }` or `{ ok: false, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { dbPath } = workerData as { dbPath: string };
const db = new Database(dbPath);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
// This connection must never checkpoint by itself on a write (it writes nothing) nor change the journal mode.
db.pragma('wal_autocheckpoint = 0');

parentPort!.on('message', (msg: unknown) => {
  if (msg === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    parentPort!.postMessage({ ok: true, log: row?.log ?? 0, copied: row?.checkpointed ?? 0 });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: String((err as Error).message ?? err) });
  }
});
