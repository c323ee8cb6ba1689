/**
 * Measures Queue.enqueue throughput of the SQLite store under group commit (not a test).
 *
 *   node dist/src/store/sqlite/bench-commit.js [seconds per case, default 2] [data dir parent, default os.tmpdir()]
 *     [only cases whose operation contains this text, e.g. put]
 *
 * The blob fsyncs of "put+enqueue" run on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says more).
 *
 * For each commit mode and 1, 20 and 100 concurrent callers it reports enqueues per second, the mean batch
 * (jobs per transaction and fsync), the latency p50/p99 of one enqueue, how long the event loop was blocked
 * inside COMMIT (per commit, at worst, and as a share of the run: every other session waits that long), and the
 * event loop's worst delay as node:perf_hooks saw it (which also counts the OS scheduler on a busy machine). "enqueue" uses a blob stored beforehand, so it measures the
 * database commit alone; "put+enqueue" first writes a 4 KiB body as a blob (temp file, fsync, rename, directory
 * fsync), which is what the SMTP server does per message. "grouping off" is maxBatch 1: one transaction and one
 * fsync per enqueue, the baseline that group commit improves on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Envelope } from '../store.js';
import { openSqliteStore, type CommitMode } from './index.js';

const seconds = Number(process.argv[2] ?? 2);
const parent = process.argv[3] ?? tmpdir();
const only = process.argv[4] ?? '';
const body = Buffer.alloc(4096, 0x61);

const env = (i: number): Envelope => ({
  from: 'sender@remote.test',
  rcpts: [{ address: `user${i % 50}@example.org`, notify: ['FAILURE'] }],
  smtputf8: false,
  body: '8BITMIME',
  receivedAt: new Date(),
  client: { helo: 'mx.remote.test', ip: '192.0.2.7', tls: true, protocol: 'ESMTPS' },
});

interface Case {
  mode: CommitMode;
  callers: number;
  put: boolean;
  maxBatch?: number;
}

async function run(c: Case): Promise<string> {
  const dataDir = await mkdtemp(path.join(parent, 'postroom-bench-'));
  const store = await openSqliteStore({ dataDir, commit: c.mode, ...(c.maxBatch ? { maxBatch: c.maxBatch } : {}) });
  try {
    const shared = await store.blobs.put(Readable.from([body]), { maxBytes: 1 << 20 });
    const one = async (i: number) => {
      const blob = c.put ? await store.blobs.put(Readable.from([body]), { maxBytes: 1 << 20 }) : shared;
      await store.queue.enqueue(env(i), blob);
    };
    for (let i = 0; i < 100; i++) await one(i); // warm up
    const before = { ...store.commitStats };
    const blobsBefore = { ...store.blobs.files.stats };
    const lat: number[] = [];
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const start = performance.now();
    const end = start + seconds * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: c.callers }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await one(n++);
          lat.push(performance.now() - t);
        }
      }),
    );
    const elapsed = (performance.now() - start) / 1000;
    loop.disable();
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2);
    const batches = store.commitStats.batches - before.batches;
    const jobs = store.commitStats.jobs - before.jobs;
    const blocked = store.commitStats.blockedMs - before.blockedMs;
    const b = store.blobs.files.stats;
    const fsyncs = (c.mode === 'sqlite-normal' ? 0 : batches) + b.fileSyncs - blobsBefore.fileSyncs + b.dirSyncs - blobsBefore.dirSyncs;
    return `| ${name(c)} | ${c.mode} | ${c.callers} | ${Math.round(lat.length / elapsed)} | ${(jobs / batches).toFixed(1)} | ${q(0.5)} | ${q(0.99)} | ${(blocked / batches).toFixed(2)} | ${store.commitStats.maxBlockedMs.toFixed(1)} | ${((100 * blocked) / (elapsed * 1000)).toFixed(0)}% | ${(loop.max / 1e6).toFixed(1)} | ${(fsyncs / jobs).toFixed(2)} |`;
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const cases: Case[] = [];
for (const put of [false, true]) {
  for (const mode of ['wal-fsync', 'sqlite-full', 'sqlite-normal'] as const) {
    for (const callers of [1, 20, 100]) cases.push({ mode, callers, put });
  }
}
for (const mode of ['wal-fsync', 'sqlite-full'] as const) cases.push({ mode, callers: 100, put: false, maxBatch: 1 });

console.log(
  `Queue.enqueue, ${seconds} s per case, data under ${parent}, Node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? 4}`,
);
console.log(
  '| operation | commit | callers | per second | jobs per commit | p50 ms | p99 ms | loop blocked per commit ms | worst commit ms | loop blocked | worst event-loop delay ms | fsyncs per message |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const name = (c: Case) => `${c.put ? 'put+enqueue' : 'enqueue'}${c.maxBatch === 1 ? ', grouping off' : ''}`;
for (const c of cases) if (name(c).includes(only)) console.log(await run(c));
