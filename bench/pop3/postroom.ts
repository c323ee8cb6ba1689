/**
 * The postroom side of `npm run bench:pop3`: fills a data directory straight through the store API (fast: no SMTP,
 * no queue), then runs `postroom start` with only its POP3 listener, on a loopback port chosen by the kernel.
 *
 * Guarantees: what the loader writes is what SMTP delivery would leave for these messages: one body per message,
 * put with `durable: false` and followed at once by the append (as the submit backend does: bodies up to the
 * store's inline limit then live in the database and share its fsync, larger ones are fsynced files), a mailbox row with the CRLF size and the MIME part index computed by
 * the same PartIndexer local delivery uses; passwords hashed with the store's `hashPassword` defaults. The loader
 * closes the store before the server opens the directory. Starting and stopping the server: bench/common/postroom.ts.
 * Limits: the messages get no trace prefix (local delivery would add a Received line; the benchmark gives both
 * servers the very same bytes instead).
 */
import { Readable } from 'node:stream';
import { PartIndexer } from '../../src/mta/index.js';
import { hashPassword, openSqliteStore, type Mailbox, type Store } from '../../src/store/index.js';
import { startPostroomChild, type PostroomChild } from '../common/postroom.js';

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

export interface PostroomOptions {
  /** The repository root (bin/postroom.js and a built dist/). */
  readonly root: string;
  /** A directory for the log. */
  readonly dir: string;
  readonly dataDir: string;
  readonly domain: string;
  /** Extra options for node, before the script (`--cpu-prof` …). */
  readonly nodeArgs?: readonly string[];
  /** `pop3.processes` (default: postroom's, 1). */
  readonly pop3Processes?: number;
}

/** Starts `postroom start` with POP3 only and resolves once it printed its banner with the POP3 address. */
export function startPostroom(o: PostroomOptions): Promise<PostroomChild> {
  return startPostroomChild({
    root: o.root,
    dir: o.dir,
    service: 'pop3',
    args: ['--data-dir', o.dataDir, '--hostname', `pop.${o.domain}`, '--domain', o.domain, ...(o.pop3Processes ? ['--pop3-processes', String(o.pop3Processes)] : [])],
    nodeArgs: o.nodeArgs,
  });
}
