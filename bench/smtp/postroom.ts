/**
 * A postroom server for `npm run bench:smtp`: `postroom start` as a child process on a loopback port chosen by
 * the kernel, with a fresh data directory, one local user, the default configuration (fsync durability on) and
 * the default log level, its log written to a file.
 *
 * Guarantees: the mailbox is read from outside the server, through a read-only connection to its SQLite
 * database (WAL readers never block the server's writer); `stop()` closes it, sends SIGTERM and waits (bounded)
 * for exit 0 (bench/common/postroom.ts).
 * Limits: reads the `messages` table of the SQLite store directly, so a schema change must be followed here.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startPostroomChild } from '../common/postroom.js';
import type { Mailbox } from './load.js';

const run = promisify(execFile);

/** A running server. */
export interface PostroomInstance {
  readonly pid: number;
  /** host:port of its SMTP (MX) service. */
  readonly target: string;
  readonly recipient: string;
  readonly dataDir: string;
  readonly mailbox: Mailbox;
  /** What `postroom status --json` reports. */
  status(): Promise<{ queue: { items: number }; mailboxes: { address: string; messages: number; bytes: number }[] }>;
  /** SIGTERM, then waits up to 60 s for the process to exit; rejects unless it exits with 0. */
  stop(): Promise<void>;
}

export interface PostroomOptions {
  /** The repository root (bin/postroom.js and a built dist/). */
  readonly root: string;
  /** An empty directory for the data directory, configuration and log. */
  readonly dir: string;
  readonly domain: string;
  readonly local: string;
  /** smtp.max_connections_per_ip (the default, 20, is what the benchmark's 20 sessions need). */
  readonly maxConnectionsPerIp: number;
  /** Extra options for node, before the script (`--cpu-prof` …). */
  readonly nodeArgs?: readonly string[];
}

/** Adds the user, starts the server and resolves once it printed its banner. */
export async function startPostroom(o: PostroomOptions): Promise<PostroomInstance> {
  const bin = path.join(o.root, 'bin', 'postroom.js');
  const dataDir = path.join(o.dir, 'data');
  const config = path.join(o.dir, 'postroom.toml');
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(config, `# Written by bench/smtp/postroom.ts\n[smtp]\nmax_connections_per_ip = ${o.maxConnectionsPerIp}\n`);
  const recipient = `${o.local}@${o.domain}`;
  const add = spawn(process.execPath, [bin, 'user', 'add', recipient, '--password-stdin', '--data-dir', dataDir], { stdio: ['pipe', 'ignore', 'inherit'] });
  add.stdin.end('bench-password-not-used\n');
  const code = await new Promise<number | null>((resolve) => add.on('exit', resolve));
  if (code !== 0) throw new Error(`Cannot add ${recipient}: postroom user add exited with ${code}`);

  const child = await startPostroomChild({
    root: o.root,
    dir: o.dir,
    service: 'smtp',
    args: ['--config', config, '--data-dir', dataDir, '--hostname', `mx.${o.domain}`, '--domain', o.domain],
    nodeArgs: o.nodeArgs,
  });
  const db = new Database(path.join(dataDir, 'postroom.db'), { readonly: true, fileMustExist: true });
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM messages');
  const mailbox: Mailbox = { count: () => count.get()!.n, progress: () => count.get()!.n };
  return {
    pid: child.pid,
    target: `${child.host}:${child.port}`,
    recipient,
    dataDir,
    mailbox,
    async status() {
      const { stdout } = await run(process.execPath, [bin, 'status', '--json', '--data-dir', dataDir]);
      return JSON.parse(stdout) as Awaited<ReturnType<PostroomInstance['status']>>;
    },
    async stop() {
      if (db.open) db.close();
      await child.stop();
    },
  };
}
