/**
 * Helpers for the maildrop tests (src/maildrop): the two stores every test runs against (MemoryStore and the
 * SQLite store in a temporary directory, each with a restart), ann's INBOX in one, a store whose mailboxes fail on demand, a
 * Pop3ConnInfo, and messages appended with their part index as local delivery stores them.
 *
 * Test code only: bodies are small and buffered.
 */
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { PartIndexer } from '../mta/index.js';
import type { Pop3ConnInfo } from '../pop3/server/index.js';
import { harness, type StoreHarness } from '../store/contract-kit.js';
import { memoryHarness, sqliteHarness } from '../store/harnesses.js';
import type { Mailbox, MessageRecord, Store } from '../store/index.js';
import { cheapHash } from './mta-fixtures.js';

/** A store backend under test, by name. */
export interface StoreKind {
  readonly name: string;
  make(): Promise<StoreHarness>;
}

/** MemoryStore (a new store on the same state is the restart) and SQLite in a fresh temporary directory. */
export const storeKinds: readonly StoreKind[] = [
  { name: 'MemoryStore', make: memoryHarness },
  { name: 'SqliteStore', make: () => sqliteHarness({}, 'postroom-maildrop-') },
];

/** A fresh harness of `kind`, cleaned up when the test ends. */
export function openKind(t: TestContext, kind: StoreKind): Promise<StoreHarness> {
  return harness(t, () => kind.make());
}

/** A fresh store of `kind` with the domain example.org and the user ann@example.org (password "secret"), and her INBOX. */
export async function annInbox(t: TestContext, kind: StoreKind): Promise<{ h: StoreHarness; inbox: Mailbox }> {
  const h = await openKind(t, kind);
  await h.store.domains.add('example.org');
  const ann = await h.store.users.create('ann@example.org', await cheapHash('secret'));
  return { h, inbox: await h.store.mailbox(ann.id) };
}

/** A Pop3ConnInfo of a loopback POP3 client. */
export function pop3Conn(id = 'p1', o: Partial<Pop3ConnInfo> = {}): Pop3ConnInfo {
  return { id, remote: '127.0.0.1', remotePort: 40000, local: '127.0.0.1', localPort: 110, tls: false, service: 'pop3', ...o };
}

/** Appends `text` (CRLF line ends expected) to `mailbox` with its MIME part index, as local delivery does. */
export async function appendIndexed(store: Store, mailbox: Mailbox, text: string, prefix?: string): Promise<MessageRecord> {
  const indexer = new PartIndexer();
  if (prefix !== undefined) indexer.write(Buffer.from(prefix, 'latin1'));
  indexer.write(Buffer.from(text, 'latin1'));
  const blob = await store.blobs.put(Readable.from([Buffer.from(text, 'latin1')]), { maxBytes: 1 << 20 });
  return mailbox.append(blob, {
    receivedAt: new Date(),
    parts: indexer.finish(),
    ...(prefix !== undefined ? { prefix: Buffer.from(prefix, 'latin1') } : {}),
  });
}

/** Which Mailbox operations fail (with the given error) while the flag is set. */
export interface Faults {
  list?: Error;
  expunge?: Error;
  open?: Error;
  lock?: Error;
  release?: Error;
}

/**
 * The store with mailboxes whose operations throw the errors set in `faults` (changed at any time by the test).
 * `list` fails after yielding the first message, as a cursor that breaks half way would.
 */
export function faultyStore(store: Store, faults: Faults): Store {
  const wrap = (box: Mailbox): Mailbox => ({
    id: box.id,
    userId: box.userId,
    name: box.name,
    append: (blob, meta) => box.append(blob, meta),
    async *list(opts) {
      let n = 0;
      for await (const r of box.list(opts)) {
        if (faults.list && n++ > 0) throw faults.list;
        yield r;
      }
      if (faults.list) throw faults.list;
    },
    summary: async () => {
      if (faults.list) throw faults.list;
      return box.summary();
    },
    get: (uid) => box.get(uid),
    open: async (uid, range) => {
      if (faults.open) throw faults.open;
      return box.open(uid, range);
    },
    readMany: async (uids, maxBytes) => {
      if (faults.open) throw faults.open;
      return box.readMany(uids, maxBytes);
    },
    setFlags: (uids, change) => box.setFlags(uids, change),
    expunge: async (uids) => {
      if (faults.expunge) throw faults.expunge;
      return box.expunge(uids);
    },
    lock: async (owner) => {
      if (faults.lock) throw faults.lock;
      const l = await box.lock(owner);
      return {
        release: async () => {
          if (faults.release) throw faults.release;
          return l.release();
        },
      };
    },
    count: () => box.count(),
  });
  return {
    blobs: store.blobs,
    users: store.users,
    domains: store.domains,
    aliases: store.aliases,
    queue: store.queue,
    mailbox: async (userId, name) => wrap(await store.mailbox(userId, name)),
    appendAll: (copies) => store.appendAll(copies),
    migrate: () => store.migrate(),
    close: () => store.close(),
  };
}
