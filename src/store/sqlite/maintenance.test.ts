import test, { type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { MailboxLockedError, type BlobStore, type Envelope } from '../store.js';
import { migrate, migrations } from './schema.js';
import { openSqliteStore, type SqliteStoreOptions } from './index.js';

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'postroom-sqlite-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function open(t: TestContext, opts: SqliteStoreOptions) {
  const s = await openSqliteStore(opts);
  t.after(() => s.close());
  return s;
}

const put = (s: { blobs: BlobStore }, text: string) =>
  s.blobs.put(Readable.from([Buffer.from(text)]), { maxBytes: 1 << 20 });

const env = (rcpt: string): Envelope => ({
  from: 'a@remote.test',
  rcpts: [{ address: rcpt }],
  smtputf8: false,
  body: '7BIT',
  receivedAt: new Date(),
  client: { helo: 'r.test', ip: '192.0.2.1', tls: false, protocol: 'ESMTP' },
});

test('SqliteStore group commit puts concurrent enqueues into few transactions, one fsync each', async (t) => {
  const s = await open(t, { dataDir: await dir(t) });
  const blob = await put(s, 'x');
  const before = { ...s.commitStats };
  const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => s.queue.enqueue(env(`u${i}@x.test`), blob)));
  assert.equal(new Set(ids).size, 200);
  const batches = s.commitStats.batches - before.batches;
  assert.equal(s.commitStats.jobs - before.jobs, 200);
  assert.ok(batches <= 10, `200 concurrent enqueues took ${batches} commits`);
  t.diagnostic(`200 concurrent enqueues in ${batches} commits`);
});

test('SqliteStore group commit rejects only the job that fails, and its changes are rolled back', async (t) => {
  const s = await open(t, { dataDir: await dir(t) });
  const results = await Promise.allSettled([
    s.users.create('a@x.test', 'h'),
    s.users.create('a@x.test', 'h'),
    s.users.create('b@x.test', 'h'),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual((await s.users.list()).map((u) => u.address), ['a@x.test', 'b@x.test']);
});

for (const commit of ['wal-fsync', 'sqlite-full', 'sqlite-normal'] as const) {
  test(`openSqliteStore with commit '${commit}' keeps enqueued items across a reopen`, async (t) => {
    const dataDir = await dir(t);
    const s = await openSqliteStore({ dataDir, commit });
    const blob = await put(s, 'body');
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => s.queue.enqueue(env(`u${i}@x.test`), blob)));
    await s.close();
    const r = await open(t, { dataDir, commit });
    assert.deepEqual((await r.queue.list()).map((i) => i.id).sort(), [...ids].sort());
  });
}

test('SqliteStore checkpoints the WAL under wal-fsync once it passes checkpointBytes, and the WAL stays bounded', async (t) => {
  const dataDir = await dir(t);
  const s = await open(t, { dataDir, checkpointBytes: 256 * 1024 });
  const blob = await put(s, 'body');
  for (let round = 0; round < 20; round++) {
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.queue.enqueue(env(`u${round}-${i}@x.test`), blob)));
  }
  // The checkpoint runs on its own thread while commits go on: wait (bounded) for the first to finish.
  for (let i = 0; i < 100 && s.commitStats.checkpoints === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(s.commitStats.checkpoints > 0);
  // The next batch copies what was committed meanwhile; the one after restarts the WAL and cuts it to
  // journal_size_limit.
  for (let round = 0; round < 3; round++) await s.queue.enqueue(env(`late-${round}@x.test`), blob);
  assert.ok((await stat(path.join(dataDir, 'postroom.db-wal'))).size < 1024 * 1024);
  assert.equal((await s.queue.counts()).items, 1003);
});

test('openSqliteStore removes temp files and blobs without a row at start, and keeps blobs that have one', async (t) => {
  const dataDir = await dir(t);
  const s = await openSqliteStore({ dataDir });
  const kept = await put(s, 'queued');
  await s.queue.enqueue(env('a@x.test'), kept);
  const orphan = await put(s, 'never enqueued');
  await writeFile(path.join(dataDir, 'tmp', 'deadbeef.1.tmp'), 'half written');
  await s.close();
  const r = await open(t, { dataDir });
  assert.deepEqual(r.startup, { collected: true, tempFiles: 1, orphanBlobs: 1, staleLocks: 0, staleLeases: 0 });
  await assert.rejects(r.blobs.get(orphan));
  (await r.blobs.get(kept)).destroy();
  assert.deepEqual(await readdir(path.join(dataDir, 'tmp')), []);
});

test('openSqliteStore releases the queue leases of a process that is gone, so its items are delivered at once', async (t) => {
  const dataDir = await dir(t);
  const s = await openSqliteStore({ dataDir });
  const id = await s.queue.enqueue(env('a@x.test'), await put(s, 'queued'));
  const now = new Date();
  assert.equal((await s.queue.claim({ now, limit: 10, leaseMs: 600_000, worker: 'killed' })).length, 1);
  await s.close(); // as after a SIGKILL: the lease was never settled
  const r = await open(t, { dataDir });
  assert.equal(r.startup.staleLeases, 1);
  assert.deepEqual(
    (await r.queue.claim({ now, limit: 10, leaseMs: 600_000, worker: 'restarted' })).map((i) => i.id),
    [id],
  );
});

test('openSqliteStore collects nothing while another live instance has the data directory open', async (t) => {
  const dataDir = await dir(t);
  const a = await open(t, { dataDir });
  const inFlight = await put(a, 'not yet enqueued by the server');
  const b = await open(t, { dataDir });
  assert.equal(b.startup.collected, false);
  (await a.blobs.get(inFlight)).destroy();
  await a.queue.enqueue(env('a@x.test'), inFlight);
  assert.equal((await b.queue.list()).length, 1);
});

test('Mailbox.lock holds across store instances and is taken over from a dead instance', async (t) => {
  const dataDir = await dir(t);
  const a = await open(t, { dataDir });
  const user = await a.users.create('ann@x.test', 'h');
  const boxA = await a.mailbox(user.id);
  const b = await open(t, { dataDir });
  const lockA = await boxA.lock('pop3-1');
  await assert.rejects((await b.mailbox(user.id)).lock('pop3-2'), MailboxLockedError);
  await lockA.release();
  // A lock row left by a process that was killed: its instance file is gone.
  const raw = new Database(path.join(dataDir, 'postroom.db'));
  raw.pragma('busy_timeout = 5000');
  raw.prepare('INSERT INTO mailbox_locks (mailbox_id, owner, instance, token) VALUES (?, ?, ?, ?)').run(boxA.id, 'pop3-9', '99999999.abcdef', 't');
  raw.close();
  const lockB = await (await b.mailbox(user.id)).lock('pop3-2');
  await assert.rejects(boxA.lock('pop3-1'), MailboxLockedError);
  await lockB.release();
});

test('openSqliteStore refuses a database written by a newer schema version', async (t) => {
  const dataDir = await dir(t);
  await (await openSqliteStore({ dataDir })).close();
  const raw = new Database(path.join(dataDir, 'postroom.db'));
  raw.prepare('UPDATE schema_version SET version = 999').run();
  raw.close();
  await assert.rejects(openSqliteStore({ dataDir }), /schema version 999 is newer/);
});

test('migrate applies each migration once, in order, and later ones on an older database', () => {
  const db = new Database(':memory:');
  assert.equal(migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (x)']), 2);
  assert.equal(migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (x)']), 0);
  assert.equal(migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (x)', 'CREATE TABLE c (x)']), 1);
  assert.throws(() => migrate(db, ['CREATE TABLE a (x)']), /newer/);
  db.close();
});

test('migration 5 fills body_offset from each part index, NULL where the index is missing, not JSON or not a whole number', () => {
  const db = new Database(':memory:');
  migrate(db, migrations.slice(0, 4));
  db.exec("INSERT INTO users VALUES ('u', 'a@x.test', 'h', NULL, 0); INSERT INTO mailboxes VALUES ('m', 'u', 'INBOX', 's', 1)");
  const parts: [string, string | null][] = [
    ['1', '[{"path":"","body":288,"end":4096}]'],
    ['2', null],
    ['3', '{not json'],
    ['4', '[{"path":"","body":"12"}]'],
    ['5', '[]'],
    ['6', '[{"path":"","body":2.5}]'],
  ];
  const insert = db.prepare("INSERT INTO messages (mailbox_id, uid, blob_id, sha256, size, received_at, flags, parts) VALUES ('m', ?, 'b', 's', 4096, 0, '[]', ?)");
  for (const [uid, p] of parts) insert.run(uid, p);
  assert.equal(migrate(db), migrations.length - 4);
  const got = db.prepare('SELECT uid, body_offset FROM messages ORDER BY uid').raw(true).all();
  assert.deepEqual(got, [['1', 288], ['2', null], ['3', null], ['4', null], ['5', null], ['6', null]]);
  db.close();
});

test('Mailbox.summary reads the same whether it splits one string or, for a uid with a space, reads row by row', async (t) => {
  const d = await dir(t);
  const s = await open(t, { dataDir: d });
  const user = await s.users.create('ann@x.test', 'h');
  const inbox = await s.mailbox(user.id);
  const parts = [{ path: '', contentType: 'text/plain', header: 0, body: 9, end: 12 }];
  const a = await inbox.append(await put(s, 'Subject: a\r\n\r\nhi\r\n'), { receivedAt: new Date(), parts });
  const b = await inbox.append(await put(s, 'x\r\n'), { receivedAt: new Date() });
  const expected = [{ uid: a.uid, size: a.size, bodyOffset: 9 }, { uid: b.uid, size: 3 }];
  // Which way it read: the row-by-row way only for the uid with a space below.
  const rowByRow = inbox as unknown as { summaryByRow(): unknown };
  const byRow = rowByRow.summaryByRow.bind(inbox);
  let rowReads = 0;
  rowByRow.summaryByRow = () => (rowReads++, byRow());
  assert.deepEqual(await inbox.summary(), expected);
  assert.equal(rowReads, 0, 'one string');
  // Not a uid the store makes (RFC 1939 §7: printable, no space), but one a damaged or hand-edited database could hold.
  const db = new Database(path.join(d, 'postroom.db'));
  db.prepare('UPDATE messages SET uid = ? WHERE uid = ?').run('~ spaced', b.uid);
  db.close();
  assert.deepEqual(await inbox.summary(), [expected[0], { uid: '~ spaced', size: 3 }]);
  assert.equal(rowReads, 1, 'row by row');
  assert.deepEqual(await (await s.mailbox((await s.users.create('bob@x.test', 'h')).id)).summary(), [], 'an empty mailbox');
});

test('FileBlobStore refuses ids that are not 32 hex digits before building a path', async (t) => {
  const s = await open(t, { dataDir: await dir(t) });
  for (const id of ['../../postroom.db', 'ab/../../x', '', 'ABCDEF0123456789ABCDEF0123456789']) {
    await assert.rejects(s.blobs.get(id), /Invalid blob id/);
    await assert.rejects(s.blobs.delete(id), /Invalid blob id/);
  }
});

test('Queue.enqueue and Mailbox.append refuse a blob that does not exist', async (t) => {
  const s = await open(t, { dataDir: await dir(t) });
  const ghost = { id: '0'.repeat(32), size: 1, sha256: '0'.repeat(64) };
  await assert.rejects(s.queue.enqueue(env('a@x.test'), ghost), /Blob not found/);
  const user = await s.users.create('ann@x.test', 'h');
  await assert.rejects((await s.mailbox(user.id)).append(ghost, { receivedAt: new Date() }), /Blob not found/);
});
