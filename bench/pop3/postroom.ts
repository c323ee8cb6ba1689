/**
 * The postroom side of `npm run bench:pop3`: fills a data directory straight through the store API (fast: no SMTP,
 * no queue), then runs `postroom start` with only its POP3 listener, on a loopback port chosen by the kernel.
 *
 * Guarantees: what the loader writes is what SMTP delivery would leave for these messages: one body per message,
 * put with `durable: false` and followed at once by the append (as the submit backend does: bodies up to the
 * store's inline limit then live in the database and share its fsync, larger ones are fsynced files), a mailbox row with the CRLF size and the MIME part index computed by
 * the same PartIndexer local delivery uses; passwords hashed with the store's `hashPassword` defaults. The loader
 * closes the store before the server opens the directory. `stop()` sends SIGTERM and waits (bounded) for exit 0.
 * Limits: the messages get no trace prefix (local delivery would add a Received line; the benchmark gives both
 * servers the very same bytes instead).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { PartIndexer } from '../../src/mta/index.js';
import { hashPassword, openSqliteStore, type Mailbox, type Store } from '../../src/store/index.js';

/** Fills a postroom data directory. */
export class PostroomLoader {
  #store: Store;
  #boxes = new Map<string, Mailbox>();

  private constructor(store: Store) {
    this.#store = store;
  }

  /** Opens (creating and migrating) the store in `dataDir` and adds `domain` as a local domain. */
  static async open(dataDir: string, domain: string): Promise<PostroomLoader> {
    const store = await openSqliteStore({ dataDir });
    await store.migrate();
    if (!(await store.domains.has(domain))) await store.domains.add(domain);
    return new PostroomLoader(store);
  }

  /**
   * Creates a user whose password is hashed as `postroom user add` would (scrypt, the default parameters), or
   * takes the existing one (to load its maildrop again).
   */
  async addUser(address: string, password: string): Promise<void> {
    const user = (await this.#store.users.get(address)) ?? (await this.#store.users.create(address, await hashPassword(password)));
    this.#boxes.set(address, await this.#store.mailbox(user.id));
  }

  /** Stores one message (CRLF line ends) in `address`'s INBOX: a blob, its part index, a mailbox row. */
  async append(address: string, bytes: Buffer, receivedAt: Date): Promise<void> {
    const box = this.#boxes.get(address);
    if (!box) throw new Error(`No user ${address} in the loader`);
    const indexer = new PartIndexer();
    indexer.write(bytes);
    // As SMTP delivery stores it: the put is followed at once by the durable write that refers to it (small
    // bodies then live in the database and share its fsync).
    const blob = await this.#store.blobs.put(Readable.from([bytes]), { maxBytes: bytes.length, durable: false });
    await box.append(blob, { receivedAt, parts: indexer.finish() });
  }

  async close(): Promise<void> {
    await this.#store.close();
  }
}

/** A running server. */
export interface PostroomInstance {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly log: string;
  /** SIGTERM, then waits up to 60 s for the process to exit; rejects unless it exits with 0. */
  stop(): Promise<void>;
}

export interface PostroomOptions {
  /** The repository root (bin/postroom.js and a built dist/). */
  readonly root: string;
  /** A directory for the log (and the data directory, unless `dataDir`). */
  readonly dir: string;
  readonly dataDir: string;
  readonly domain: string;
  /** Extra options for node, before the script (`--cpu-prof` …). */
  readonly nodeArgs?: readonly string[];
}

/** Starts `postroom start` with POP3 only and resolves once it printed its banner with the POP3 address. */
export async function startPostroom(o: PostroomOptions): Promise<PostroomInstance> {
  const bin = path.join(o.root, 'bin', 'postroom.js');
  mkdirSync(o.dir, { recursive: true });
  const logFile = path.join(o.dir, 'postroom.log');
  const log = createWriteStream(logFile);
  await new Promise((r) => log.once('open', r));
  const args = [
    ...(o.nodeArgs ?? []),
    ...[bin, 'start', '--data-dir', o.dataDir, '--hostname', `pop.${o.domain}`, '--domain', o.domain],
    ...['--pop3-listen', '127.0.0.1:0', '--smtp-listen', 'off', '--submission-listen', 'off', '--web-listen', 'off'],
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', log] });
  const { host, port } = await banner(child);
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid!,
    host,
    port,
    log: logFile,
    stop: () =>
      (stopped ??= (async () => {
        const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', resolve)));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        const code = await exited;
        clearTimeout(timer);
        log.end();
        if (code !== 0) throw new Error(`postroom exited with ${code} (log: ${logFile})`);
      })()),
  };
}

/** Reads the banner up to "stop with" and returns the POP3 address; rejects if the process exits first (bounded: 60 s). */
function banner(child: ChildProcess): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => fail(new Error(`postroom start printed no banner within 60 s:\n${text}`)), 60_000);
    const onExit = (code: number | null) => fail(new Error(`postroom start exited with ${code}:\n${text}`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(err);
    };
    child.on('exit', onExit);
    child.stdout!.on('data', (c: Buffer) => {
      text += c.toString();
      if (!/^stop with/m.test(text)) return;
      const m = /^\s*pop3\s+listening on \[?([^\]\s]+?)\]?:(\d+)/m.exec(text);
      clearTimeout(timer);
      child.off('exit', onExit);
      if (m) resolve({ host: m[1]!, port: Number(m[2]) });
      else fail(new Error(`postroom start printed no POP3 address (is the POP3 server wired into postroom start yet?):\n${text}`));
    });
  });
}
