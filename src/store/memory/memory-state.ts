/**
 * The data of a MemoryStore, kept apart from the store object so that a test can "restart" the store: a new
 * MemoryStore on the same MemoryState sees everything committed before (locks and leases of the old one aside).
 */
import type { MessageRecord, QueueItem, User } from '../store.js';
import type { MemoryBlobMap } from './memory-blobs.js';

/** One mailbox's data. */
export interface MemoryMailboxData {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly stamp: string;
  /** The next sequence number; only ever grows, so UIDs are never reused. */
  nextSeq: number;
  /** Messages by UID, in append (= UID) order. */
  readonly messages: Map<string, MessageRecord>;
}

/** A queue item with its lease. */
export interface MemoryQueueEntry {
  item: QueueItem;
  leaseOwner?: string;
  leaseUntil?: number;
}

/** Everything a MemoryStore holds. */
export interface MemoryState {
  readonly blobs: MemoryBlobMap;
  /** Users by normalized address. */
  readonly users: Map<string, User>;
  readonly domains: Set<string>;
  readonly aliases: Map<string, readonly string[]>;
  /** Mailboxes by id. */
  readonly mailboxes: Map<string, MemoryMailboxData>;
  /** Queue items by id, in enqueue order. */
  readonly queue: Map<string, MemoryQueueEntry>;
}

/** An empty state. */
export function createMemoryState(): MemoryState {
  return {
    blobs: new Map(),
    users: new Map(),
    domains: new Set(),
    aliases: new Map(),
    mailboxes: new Map(),
    queue: new Map(),
  };
}

/** True when a message or a queue item still refers to the blob. */
export function blobInUse(state: MemoryState, blobId: string): boolean {
  for (const q of state.queue.values()) if (q.item.body.id === blobId) return true;
  for (const m of state.mailboxes.values()) for (const r of m.messages.values()) if (r.blob.id === blobId) return true;
  return false;
}

/** Deletes the blobs that nothing refers to any more. */
export function dropUnusedBlobs(state: MemoryState, blobIds: Iterable<string>): void {
  for (const id of blobIds) if (!blobInUse(state, id)) state.blobs.delete(id);
}
