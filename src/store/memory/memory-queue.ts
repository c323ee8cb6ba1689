/**
 * The queue of the MemoryStore: the reference for the Queue contract.
 *
 * Guarantees: claims respect `nextAttempt`, holds and live leases (an item leased by the same worker may be
 * claimed again; the contract says "not leased by another worker"); settle applies results per recipient with
 * queue-rules.ts and removes the item and its blob when no recipient is left to try. Limits: scans every item
 * on each claim (fine for tests).
 */
import type { BlobRef, Envelope, Queue, QueueId, QueueItem, RcptResult } from '../store.js';
import { newQueueId } from '../ids.js';
import { applyResults, isDue, isOpen, itemClass } from '../queue-rules.js';
import { dropUnusedBlobs, type MemoryQueueEntry, type MemoryState } from './memory-state.js';

function copyEnvelope(env: Envelope): Envelope {
  return structuredClone(env);
}

/** The Queue of a MemoryStore (`store.queue`). */
export class MemoryQueue implements Queue {
  constructor(private readonly state: MemoryState) {}

  async enqueue(env: Envelope, body: BlobRef): Promise<QueueId> {
    if (env.rcpts.length === 0) throw new Error('Cannot enqueue a message without recipients');
    if (!this.state.blobs.has(body.id)) throw new Error(`Blob not found: ${body.id}`);
    const id = newQueueId();
    const envelope = copyEnvelope(env);
    const item: QueueItem = {
      id,
      envelope,
      body: { id: body.id, size: body.size, sha256: body.sha256 },
      rcpts: envelope.rcpts.map((r) => ({ ...r, state: 'pending', attempts: 0, nextAttempt: new Date(env.receivedAt.getTime()) })),
      createdAt: new Date(env.receivedAt.getTime()),
      held: false,
    };
    this.state.queue.set(id, { item });
    return id;
  }

  async claim(o: { now: Date; limit: number; leaseMs: number; worker: string }): Promise<QueueItem[]> {
    const now = o.now.getTime();
    const due: { e: MemoryQueueEntry; at: number }[] = [];
    for (const e of this.state.queue.values()) {
      if (e.item.held) continue;
      if (e.leaseUntil !== undefined && e.leaseUntil > now && e.leaseOwner !== o.worker) continue;
      const times = e.item.rcpts.filter((r) => isDue(r, o.now)).map((r) => r.nextAttempt.getTime());
      if (times.length > 0) due.push({ e, at: Math.min(...times) });
    }
    due.sort((a, b) => a.at - b.at || a.e.item.createdAt.getTime() - b.e.item.createdAt.getTime());
    return due.slice(0, Math.max(0, o.limit)).map(({ e }) => {
      e.leaseOwner = o.worker;
      e.leaseUntil = now + o.leaseMs;
      return e.item;
    });
  }

  async settle(id: QueueId, results: readonly RcptResult[], now: Date): Promise<void> {
    const e = this.state.queue.get(id);
    if (!e) return;
    const rcpts = applyResults(id, e.item.rcpts, results, now);
    delete e.leaseOwner;
    delete e.leaseUntil;
    if (rcpts.some((r) => isOpen(r.state))) {
      e.item = { ...e.item, rcpts };
      return;
    }
    this.state.queue.delete(id);
    dropUnusedBlobs(this.state, [e.item.body.id]);
  }

  async get(id: QueueId): Promise<QueueItem | undefined> {
    return this.state.queue.get(id)?.item;
  }

  async list(): Promise<QueueItem[]> {
    return [...this.state.queue.values()].map((e) => e.item);
  }

  async retryNow(id?: QueueId): Promise<number> {
    let n = 0;
    for (const e of id === undefined ? this.state.queue.values() : [this.state.queue.get(id)]) {
      if (!e || !e.item.rcpts.some((r) => r.state === 'deferred')) continue;
      const due = e.item.createdAt;
      e.item = { ...e.item, rcpts: e.item.rcpts.map((r) => (r.state === 'deferred' ? { ...r, nextAttempt: due } : r)) };
      n++;
    }
    return n;
  }

  async hold(id: QueueId, held: boolean): Promise<boolean> {
    const e = this.state.queue.get(id);
    if (!e) return false;
    e.item = { ...e.item, held };
    return true;
  }

  async delete(id: QueueId): Promise<boolean> {
    const e = this.state.queue.get(id);
    if (!e) return false;
    this.state.queue.delete(id);
    dropUnusedBlobs(this.state, [e.item.body.id]);
    return true;
  }

  async counts(): Promise<{ items: number; pending: number; deferred: number; held: number }> {
    const c = { items: 0, pending: 0, deferred: 0, held: 0 };
    for (const e of this.state.queue.values()) {
      c.items++;
      c[itemClass(e.item)]++;
    }
    return c;
  }
}
