/**
 * A mailbox of the MemoryStore.
 *
 * Guarantees (the Mailbox contract): UIDs unique, increasing and never reused; `append` idempotent per
 * `deliveryId` (a duplicate's own blob is dropped when nothing else uses it); a message is its `prefix` (a copy,
 * kept in the record) + a blob that may be shared, and `open` ranges span both; `expunge` all-or-nothing and the
 * blobs nothing else refers to deleted; `lock` exclusive per store instance.
 */
import type { Readable } from 'node:stream';
import { MailboxLockedError, type AppendMeta, type BlobRef, type Mailbox, type MailboxLock, type MessageRecord, type MessageSummary } from '../store.js';
import { formatUid } from '../ids.js';
import { openMessage } from '../message-bytes.js';
import { dropUnusedBlobs, type MemoryMailboxData, type MemoryState } from './memory-state.js';
import type { MemoryBlobStore } from './memory-blobs.js';

/** Who holds the lock of each mailbox, by mailbox id. */
export type MemoryLocks = Map<string, { owner: string; token: object }>;

/** A Mailbox over a MemoryMailboxData; obtain it from MemoryStore.mailbox. */
export class MemoryMailbox implements Mailbox {
  constructor(
    private readonly state: MemoryState,
    private readonly data: MemoryMailboxData,
    private readonly blobs: MemoryBlobStore,
    private readonly locks: MemoryLocks,
  ) {}

  get id(): string {
    return this.data.id;
  }
  get userId(): string {
    return this.data.userId;
  }
  get name(): string {
    return this.data.name;
  }

  async append(blob: BlobRef, meta: AppendMeta): Promise<MessageRecord> {
    if (meta.deliveryId !== undefined) {
      for (const r of this.data.messages.values()) {
        if (r.deliveryId !== meta.deliveryId) continue;
        if (r.blob.id !== blob.id) dropUnusedBlobs(this.state, [blob.id]);
        return r;
      }
    }
    if (!this.blobs.map.has(blob.id)) throw new Error(`Blob not found: ${blob.id}`);
    const uid = formatUid(this.data.stamp, this.data.nextSeq++);
    const prefix = meta.prefix && meta.prefix.length > 0 ? Buffer.from(meta.prefix) : undefined;
    const rec: MessageRecord = {
      uid,
      mailboxId: this.data.id,
      blob: { id: blob.id, size: blob.size, sha256: blob.sha256 },
      ...(prefix ? { prefix } : {}),
      size: (prefix?.length ?? 0) + blob.size,
      receivedAt: new Date(meta.receivedAt.getTime()),
      flags: [...new Set(meta.flags ?? [])],
      ...(meta.parts ? { parts: structuredClone(meta.parts) } : {}),
      ...(meta.deliveryId !== undefined ? { deliveryId: meta.deliveryId } : {}),
    };
    this.data.messages.set(uid, rec);
    return rec;
  }

  async *list(opts: { after?: string; limit?: number } = {}): AsyncIterable<MessageRecord> {
    let n = 0;
    for (const r of [...this.data.messages.values()]) {
      if (opts.after !== undefined && r.uid <= opts.after) continue;
      if (opts.limit !== undefined && n >= opts.limit) return;
      n++;
      yield r;
    }
  }

  async summary(): Promise<MessageSummary[]> {
    return [...this.data.messages.values()].map((r) => {
      const at = r.parts?.[0]?.body;
      return at === undefined ? { uid: r.uid, size: r.size } : { uid: r.uid, size: r.size, bodyOffset: at };
    });
  }

  async get(uid: string): Promise<MessageRecord | undefined> {
    return this.data.messages.get(uid);
  }

  async open(uid: string, range?: { start: number; end: number }): Promise<Readable> {
    const r = this.data.messages.get(uid);
    if (!r) throw new Error(`No message with UID ${uid} in mailbox ${this.data.id}`);
    return openMessage(r.prefix, (br) => this.blobs.get(r.blob, br), range);
  }

  async readMany(uids: readonly string[], maxBytes: number): Promise<(readonly Buffer[] | undefined)[]> {
    return uids.map((uid) => {
      const r = this.data.messages.get(uid);
      if (!r) throw new Error(`No message with UID ${uid} in mailbox ${this.data.id}`);
      if (r.size > maxBytes) return undefined;
      const body = this.blobs.chunksOf(r.blob);
      return r.prefix ? [r.prefix, ...body] : [...body];
    });
  }

  async setFlags(uids: readonly string[], change: { add?: readonly string[]; remove?: readonly string[] }): Promise<void> {
    for (const uid of uids) {
      const r = this.data.messages.get(uid);
      if (!r) continue;
      const flags = new Set([...r.flags, ...(change.add ?? [])]);
      for (const f of change.remove ?? []) flags.delete(f);
      this.data.messages.set(uid, { ...r, flags: [...flags] });
    }
  }

  async expunge(uids: readonly string[]): Promise<void> {
    const blobIds: string[] = [];
    for (const uid of uids) {
      const r = this.data.messages.get(uid);
      if (!r) continue;
      this.data.messages.delete(uid);
      blobIds.push(r.blob.id);
    }
    dropUnusedBlobs(this.state, blobIds);
  }

  async lock(owner: string): Promise<MailboxLock> {
    const held = this.locks.get(this.data.id);
    if (held && held.owner !== owner) throw new MailboxLockedError(this.data.id);
    const entry = held ?? { owner, token: {} };
    this.locks.set(this.data.id, entry);
    return {
      release: async () => {
        if (this.locks.get(this.data.id) === entry) this.locks.delete(this.data.id);
      },
    };
  }

  async count(): Promise<{ messages: number; bytes: number }> {
    let bytes = 0;
    for (const r of this.data.messages.values()) bytes += r.size;
    return { messages: this.data.messages.size, bytes };
  }
}
