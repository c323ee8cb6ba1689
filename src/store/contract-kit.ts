/**
 * What the store contract suite (contract.ts) needs from a backend, and the small helpers its tests share.
 * Test code only: it buffers bodies freely.
 */
import type { TestContext } from 'node:test';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { BlobRef, Envelope, Store } from './store.js';

/** A backend under test: a fresh, migrated store and the means to restart and inspect it. */
export interface StoreHarness {
  /** The store as first opened. */
  readonly store: Store;
  /** Closes the store that is open now and opens the same data again, as a process restart would. */
  reopen(): Promise<Store>;
  /** How many blobs the backend holds, temporary files included: proves that nothing was left behind. */
  storedBlobs(): Promise<number>;
  /** Closes the open store and removes all its data. */
  cleanup(): Promise<void>;
}

/** Makes a fresh harness for one test. */
export type MakeStore = () => Promise<StoreHarness>;

/** Options of the suite. */
export interface ContractOptions {
  /** Blobs live in the heap (the memory store): skip the bound on memory growth of the 50 MB test. */
  readonly blobsInMemory?: boolean;
}

/** A fresh harness, cleaned up when the test ends. */
export async function harness(t: TestContext, make: MakeStore): Promise<StoreHarness> {
  const h = await make();
  t.after(() => h.cleanup());
  return h;
}

/** Reads a stream to the end (tests only). */
export async function readAll(src: Readable | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of src) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Reads a blob's text. */
export async function text(store: Store, ref: BlobRef | string, range?: { start: number; end: number }): Promise<string> {
  return (await readAll(await store.blobs.get(ref, range))).toString('latin1');
}

/** Stores a short text as a blob. */
export function putText(store: Store, s: string): Promise<BlobRef> {
  return store.blobs.put(Readable.from([Buffer.from(s, 'latin1')]), { maxBytes: 1 << 20 });
}

/** The SHA-256 of a string, hex. */
export function sha256(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A complete envelope with every optional field set, for round-trip checks. */
export function envelope(rcpts: readonly string[], over: Partial<Envelope> = {}): Envelope {
  return {
    from: 'sender@remote.test',
    rcpts: rcpts.map((address, i) =>
      i === 0 ? { address, notify: ['SUCCESS', 'FAILURE'], orcpt: `rfc822;${address}` } : { address },
    ),
    ret: 'HDRS',
    envid: 'ENV-1',
    smtputf8: false,
    body: '8BITMIME',
    receivedAt: new Date('2026-01-02T03:04:05.678Z'),
    client: { helo: 'mx.remote.test', ip: '192.0.2.7', tls: true, protocol: 'ESMTPS' },
    ...over,
  };
}

/** A user with an INBOX. */
export async function userWithInbox(store: Store, address = 'ann@example.org') {
  const user = await store.users.create(address, 'x');
  return { user, inbox: await store.mailbox(user.id) };
}

/** Collects an async iterable (tests only). */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

let gc: (() => void) | undefined;

/**
 * Bytes held in ArrayBuffers (Buffers) right after a full garbage collection: what is really kept, unlike RSS,
 * which also counts freed memory the allocator has not returned.
 */
export function liveBufferBytes(): number {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
  return process.memoryUsage().arrayBuffers;
}
