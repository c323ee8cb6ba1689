import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { openSqliteStore } from './index.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.js');

async function sha(src: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of src) h.update(c as Buffer);
  return h.digest('hex');
}

/** Runs the child until it has printed `ready`, then kills it with SIGKILL after `ms`; returns its lines. */
function runAndKill(dataDir: string, ms: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s: string) => {
      out += s;
      if (!timer && out.startsWith('ready\n')) timer = setTimeout(() => p.kill('SIGKILL'), ms);
    });
    p.on('error', reject);
    // 'close' fires after stdout is drained: every line written before the kill is in `out`.
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`Child ended without being killed: code ${code}, signal ${signal}`));
      const lines = out.split('\n');
      lines.pop(); // a last line cut by the kill is not an acknowledgement
      resolve(lines);
    });
  });
}

test('SqliteStore loses nothing acknowledged and leaves no half state when SIGKILLed at random moments', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'postroom-crash-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const queued = new Map<string, string>();
  const gone = new Set<string>();
  const settling = new Set<string>();
  const messages = new Map<string, string>();
  let acks = 0;
  let collected = 0;
  for (let round = 0; round < 6; round++) {
    const lines = await runAndKill(dataDir, 150 + Math.floor(Math.random() * 900));
    for (const line of lines) {
      const [kind, id, digest] = line.split(' ');
      if (kind === 'q') queued.set(id!, digest!);
      else if (kind === 'm') messages.set(id!, digest!);
      else if (kind === 'gone') gone.add(id!);
      else if (kind === 'settling') settling.add(id!);
      else continue;
      acks++;
    }
    const store = await openSqliteStore({ dataDir });
    try {
      assert.equal(store.startup.collected, true);
      collected += store.startup.orphanBlobs + store.startup.tempFiles;
      for (const [id, digest] of queued) {
        const item = await store.queue.get(id);
        if (gone.has(id)) {
          assert.equal(item, undefined, `settled item ${id} is gone`);
          continue;
        }
        if (settling.has(id) && !item) continue; // its settle was cut by the kill, and had committed
        assert.ok(item, `acknowledged item ${id} is in the queue (round ${round})`);
        assert.equal(item.body.sha256, digest);
        assert.equal(await sha(await store.blobs.get(item.body)), digest, `blob of ${id} is intact`);
      }
      const user = await store.users.get('crash@example.org');
      assert.ok(user);
      const inbox = await store.mailbox(user.id);
      const seen = new Set<string>();
      for await (const rec of inbox.list()) {
        seen.add(rec.uid);
        // Every row's blob exists and matches, acknowledged or not.
        assert.equal(await sha(await inbox.open(rec.uid)), rec.blob.sha256, `blob of message ${rec.uid} is intact`);
      }
      for (const [uid, digest] of messages) {
        assert.ok(seen.has(uid), `acknowledged message ${uid} is in the mailbox`);
        assert.equal((await inbox.get(uid))?.blob.sha256, digest);
      }
      // No half state: every blob file has a row (collected at start), every row has its blob (checked above).
      const rows = (await store.queue.list()).length + (await inbox.count()).messages;
      assert.equal(await store.blobs.countStored(), rows, 'no blob without a row and no temp file');
    } finally {
      await store.close();
    }
  }
  t.diagnostic(`${acks} acknowledgements checked over 6 kills; ${collected} orphan blobs and temp files collected at start`);
  assert.ok(acks > 50, `the child acknowledged enough work to mean something (${acks})`);
});
