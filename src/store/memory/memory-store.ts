/**
 * The reference Store: everything in memory, no durability. Every server test runs against it, and it passes the
 * same contract suite as the SQLite backend (contract.ts), so a behaviour that differs is a bug in one of them.
 *
 * Guarantees: the Store contract, except that "durable" means "in this MemoryState" (a new MemoryStore on the
 * same state plays the part of a restart). Limits: bodies are held in memory; locks and leases belong to one
 * store instance.
 */
import type { AliasRepo, AppendMeta, BlobRef, DomainRepo, Mailbox, MessageRecord, Store, User, UserRepo } from '../store.js';
import { normalizeAddress, normalizeDomain, normalizeUserAddress } from '../address.js';
import { newId, newUidStamp } from '../ids.js';
import { MemoryBlobStore } from './memory-blobs.js';
import { MemoryMailbox, type MemoryLocks } from './memory-mailbox.js';
import { MemoryQueue } from './memory-queue.js';
import { createMemoryState, dropUnusedBlobs, type MemoryState } from './memory-state.js';

class MemoryUsers implements UserRepo {
  constructor(private readonly state: MemoryState) {}

  async create(address: string, passwordHash: string): Promise<User> {
    const a = normalizeUserAddress(address);
    if (this.state.users.has(a)) throw new Error(`User already exists: ${a}`);
    const user: User = { id: newId(), address: a, passwordHash, apopSecret: null, createdAt: new Date() };
    this.state.users.set(a, user);
    return user;
  }
  async get(address: string): Promise<User | undefined> {
    return this.state.users.get(normalizeAddress(address));
  }
  async getById(id: string): Promise<User | undefined> {
    for (const u of this.state.users.values()) if (u.id === id) return u;
    return undefined;
  }
  async list(): Promise<User[]> {
    return [...this.state.users.values()].sort((a, b) => (a.address < b.address ? -1 : 1));
  }
  async delete(address: string): Promise<boolean> {
    const a = normalizeAddress(address);
    const user = this.state.users.get(a);
    if (!user) return false;
    this.state.users.delete(a);
    const blobIds: string[] = [];
    for (const [id, m] of this.state.mailboxes) {
      if (m.userId !== user.id) continue;
      for (const r of m.messages.values()) blobIds.push(r.blob.id);
      this.state.mailboxes.delete(id);
    }
    dropUnusedBlobs(this.state, blobIds);
    return true;
  }
  async setPassword(address: string, passwordHash: string): Promise<boolean> {
    return this.update(address, { passwordHash });
  }
  async setApopSecret(address: string, secret: string | null): Promise<boolean> {
    return this.update(address, { apopSecret: secret });
  }
  private update(address: string, change: Partial<User>): boolean {
    const a = normalizeAddress(address);
    const u = this.state.users.get(a);
    if (!u) return false;
    this.state.users.set(a, { ...u, ...change });
    return true;
  }
}

class MemoryDomains implements DomainRepo {
  constructor(private readonly state: MemoryState) {}
  async add(name: string): Promise<void> {
    this.state.domains.add(normalizeDomain(name));
  }
  async remove(name: string): Promise<boolean> {
    return this.state.domains.delete(normalizeDomain(name));
  }
  async list(): Promise<string[]> {
    return [...this.state.domains].sort();
  }
  async has(name: string): Promise<boolean> {
    return this.state.domains.has(normalizeDomain(name));
  }
}

class MemoryAliases implements AliasRepo {
  constructor(private readonly state: MemoryState) {}
  async add(source: string, targets: readonly string[]): Promise<void> {
    if (targets.length === 0) throw new Error(`Alias ${source} needs at least one target`);
    this.state.aliases.set(normalizeAddress(source), targets.map(normalizeAddress));
  }
  async remove(source: string): Promise<boolean> {
    return this.state.aliases.delete(normalizeAddress(source));
  }
  async list(): Promise<{ source: string; targets: string[] }[]> {
    return [...this.state.aliases]
      .map(([source, targets]) => ({ source, targets: [...targets] }))
      .sort((a, b) => (a.source < b.source ? -1 : 1));
  }
  async get(source: string): Promise<string[] | undefined> {
    const t = this.state.aliases.get(normalizeAddress(source));
    return t && [...t];
  }
}

/**
 * The in-memory Store.
 * @example
 * const store = new MemoryStore();
 * const user = await store.users.create('ann@example.org', hash);
 * const inbox = await store.mailbox(user.id);
 */
export class MemoryStore implements Store {
  readonly blobs: MemoryBlobStore;
  readonly users: UserRepo;
  readonly domains: DomainRepo;
  readonly aliases: AliasRepo;
  readonly queue: MemoryQueue;
  readonly #locks: MemoryLocks = new Map();

  /** A store over `state` (a fresh one by default); pass the state of a closed store to "restart" it. */
  constructor(readonly state: MemoryState = createMemoryState()) {
    this.blobs = new MemoryBlobStore(state.blobs);
    this.users = new MemoryUsers(state);
    this.domains = new MemoryDomains(state);
    this.aliases = new MemoryAliases(state);
    this.queue = new MemoryQueue(state);
  }

  async mailbox(userId: string, name = 'INBOX'): Promise<Mailbox> {
    let data = [...this.state.mailboxes.values()].find((m) => m.userId === userId && m.name === name);
    if (!data) {
      if (![...this.state.users.values()].some((u) => u.id === userId)) throw new Error(`Unknown user id: ${userId}`);
      data = { id: newId(), userId, name, stamp: newUidStamp(), nextSeq: 1, messages: new Map() };
      this.state.mailboxes.set(data.id, data);
    }
    return new MemoryMailbox(this.state, data, this.blobs, this.#locks);
  }

  async appendAll(copies: readonly { readonly mailbox: Mailbox; readonly blob: BlobRef; readonly meta: AppendMeta }[]): Promise<MessageRecord[]> {
    // All or none: the only way an append fails here is a missing blob or a mailbox of another store, checked first.
    for (const c of copies) {
      if (!(c.mailbox instanceof MemoryMailbox)) throw new Error('Cannot append: the mailbox is not of this store');
      if (!this.state.blobs.has(c.blob.id)) throw new Error(`Blob not found: ${c.blob.id}`);
    }
    const out: MessageRecord[] = [];
    for (const c of copies) out.push(await c.mailbox.append(c.blob, c.meta));
    return out;
  }

  async migrate(): Promise<void> {}

  async close(): Promise<void> {
    this.#locks.clear();
  }
}
