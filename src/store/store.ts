/**
 * The storage contract of Postroom (interfaces only; DESIGN.md §3–4, STYLE.md §5). Backends: `memory/`
 * (reference, for tests), `sqlite/` (the embedded default), later `postgres/`. Every backend passes the same
 * contract suite (`contract.ts`).
 *
 * Guarantees every backend gives:
 * - Durability: a promise that resolves means the data is on stable storage (fsync or a committed transaction
 *   that fsyncs). `Queue.enqueue` resolving is what allows the SMTP server to answer 250.
 * - Blobs are immutable: written to a temporary name, fsynced, renamed, the directory fsynced.
 * - `Mailbox.append` with a `deliveryId` is idempotent: a second append with the same id returns the first record
 *   and stores nothing (local delivery retried after a crash delivers nothing twice).
 * - Sizes of messages count CRLF line ends, as POP3 sends them.
 * - A stored message is `prefix` + blob: `Mailbox.append(blob, { prefix })` keeps the (small) prefix bytes with the
 *   message and only a reference to the blob, so local delivery shares the queue item's blob instead of writing a
 *   copy (the prefix holds the trace fields). `MessageRecord.size` is prefix length + blob size; `Mailbox.open`
 *   streams the prefix then the blob, and its byte ranges, like part-index offsets, are over that whole message
 *   (a range may span the border).
 * - Blobs are reference counted: a blob is deleted only once no message and no queue item refers to it (after the
 *   commit that dropped the last reference is durable). A queue item's blob therefore outlives the item while a
 *   message uses it, and goes with the last of them (settle, `Queue.delete`, expunge, user deletion).
 * The types here are plain data: no class of smtp/ or mta/ appears (store/ imports nothing of ours).
 */
import type { Readable } from 'node:stream';

/** A stored immutable body. */
export interface BlobRef {
  readonly id: string;
  readonly size: number;
  readonly sha256: string;
}

/** Thrown by BlobStore.put when the source exceeds maxBytes (nothing is kept). */
export class BlobTooLargeError extends Error {
  override name = 'BlobTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`Blob exceeds ${maxBytes} bytes`);
  }
}

/** Options of BlobStore.put. */
export interface PutOptions {
  /** Refuse (BlobTooLargeError, nothing kept) a body longer than this. */
  readonly maxBytes: number;
  /**
   * `false`: the caller follows the put at once with a durable write of the same store that refers to the blob
   * (Queue.enqueue, Mailbox.append), and the blob need only be durable when that write resolves. A backend may then
   * skip an fsync of its own (the SQLite store's small bodies share the WAL's). A blob that no write ever refers
   * to is collected at the next start. Default true.
   */
  readonly durable?: boolean;
}

/** Immutable bodies (message files). */
export interface BlobStore {
  /** Streams `src` to stable storage: resolves once durable (see PutOptions.durable) with the blob's reference. */
  put(src: Readable | AsyncIterable<Uint8Array>, opts: PutOptions): Promise<BlobRef>;
  /** Reads a blob, or a byte range of it (`end` exclusive). */
  get(ref: BlobRef | string, range?: { start: number; end: number }): Promise<Readable>;
  delete(ref: BlobRef | string): Promise<void>;
}

/** One entity of a stored message (from the MIME part index), for byte-range reads without parsing again. */
export interface PartIndexEntry {
  readonly path: string;
  readonly contentType: string;
  readonly header: number;
  readonly body: number;
  readonly end: number;
}
export type PartIndex = readonly PartIndexEntry[];

/** A message in a mailbox. */
export interface MessageRecord {
  /** Unique in its mailbox forever, 1–70 printable ASCII characters (usable as a POP3 UIDL). */
  readonly uid: string;
  readonly mailboxId: string;
  /** The body, possibly shared with a queue item or other messages. */
  readonly blob: BlobRef;
  /** Bytes stored with this message before the blob (the trace fields of local delivery); absent when none. */
  readonly prefix?: Buffer;
  /** Octets with CRLF line ends of the whole message: prefix length + blob.size. */
  readonly size: number;
  readonly receivedAt: Date;
  readonly flags: readonly string[];
  readonly parts?: PartIndex;
  readonly deliveryId?: string;
}

/** What listing a whole maildrop needs of each message (POP3's snapshot): no prefix, flags or dates loaded. */
export interface MessageSummary {
  readonly uid: string;
  readonly size: number;
  /** The `body` offset of the part index's first (root) entry, when the message has a part index. */
  readonly bodyOffset?: number;
}

/** Thrown by Mailbox.lock when another owner holds the lock. */
export class MailboxLockedError extends Error {
  override name = 'MailboxLockedError';
  constructor(readonly mailboxId: string) {
    super(`Mailbox ${mailboxId} is locked`);
  }
}

export interface MailboxLock {
  release(): Promise<void>;
}

/** What Mailbox.append stores with a message besides its blob. */
export interface AppendMeta {
  readonly receivedAt: Date;
  readonly flags?: readonly string[];
  readonly parts?: PartIndex;
  /** Makes the append idempotent: a second append with the same id returns the first record. */
  readonly deliveryId?: string;
  /** Bytes stored with the message before the blob (the trace fields of local delivery). */
  readonly prefix?: Buffer;
}

/** A user's mailbox (INBOX by default). */
export interface Mailbox {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /**
   * Adds a message whose body is already a blob (the blob may be shared: the message adds a reference), with an
   * optional `prefix` stored before it; `parts` offsets are of prefix + blob. Idempotent per `deliveryId`.
   */
  append(blob: BlobRef, meta: AppendMeta): Promise<MessageRecord>;
  /** Messages in UID order (the order they were appended). */
  list(opts?: { after?: string; limit?: number }): AsyncIterable<MessageRecord>;
  /** Every message's uid, size and body offset, in UID order, at once (cheaper than `list` for a whole maildrop). */
  summary(): Promise<MessageSummary[]>;
  get(uid: string): Promise<MessageRecord | undefined>;
  /** Streams prefix then blob, or a byte range (`end` exclusive) of that whole message. */
  open(uid: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * Several whole messages at once, for small messages read many at a time (POP3 RETR and its read-ahead): entry
   * `i` is message `uids[i]` (prefix then blob, as buffers in order) when its size is at most `maxBytes`, undefined
   * when it is larger (use `open`). No stream is built, and a store reads the batch in one go (SQLite: one read
   * transaction, one index range scan when the uids ascend). Throws when any uid is unknown, as `open` does.
   */
  readMany(uids: readonly string[], maxBytes: number): Promise<(readonly Buffer[] | undefined)[]>;
  setFlags(uids: readonly string[], change: { add?: readonly string[]; remove?: readonly string[] }): Promise<void>;
  /** Removes messages atomically (all or none, durable when it resolves), and the blobs nothing else refers to. */
  expunge(uids: readonly string[]): Promise<void>;
  /** An exclusive lock (the POP3 maildrop lock); throws MailboxLockedError when held by another owner. */
  lock(owner: string): Promise<MailboxLock>;
  count(): Promise<{ messages: number; bytes: number }>;
}

/** An account. Passwords are stored only as salted slow hashes (the hash format belongs to app/). */
export interface User {
  readonly id: string;
  /** The primary address, lower-case domain. */
  readonly address: string;
  readonly passwordHash: string;
  /** The shared secret for POP3 APOP (needs the secret in clear; null unless the admin set one). */
  readonly apopSecret: string | null;
  readonly createdAt: Date;
}

export interface UserRepo {
  create(address: string, passwordHash: string): Promise<User>;
  get(address: string): Promise<User | undefined>;
  getById(id: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  delete(address: string): Promise<boolean>;
  setPassword(address: string, passwordHash: string): Promise<boolean>;
  setApopSecret(address: string, secret: string | null): Promise<boolean>;
}

/** The domains this server receives mail for. */
export interface DomainRepo {
  add(name: string): Promise<void>;
  remove(name: string): Promise<boolean>;
  list(): Promise<string[]>;
  has(name: string): Promise<boolean>;
}

/** Aliases: a source address (or `@domain` catch-all) to one or more targets. */
export interface AliasRepo {
  add(source: string, targets: readonly string[]): Promise<void>;
  remove(source: string): Promise<boolean>;
  list(): Promise<{ source: string; targets: string[] }[]>;
  /** The targets of one source, or undefined when it is not an alias (one level; expansion is mta/'s job). */
  get(source: string): Promise<string[] | undefined>;
}

/** RFC 3461 NOTIFY values. */
export type Notify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

/** One envelope recipient with its DSN parameters (RFC 3461). */
export interface EnvelopeRcpt {
  readonly address: string;
  readonly notify?: readonly Notify[];
  /** ORCPT as received: `addr-type;xtext-decoded address`. */
  readonly orcpt?: string;
}

/** What arrived with a message. */
export interface Envelope {
  /** '' for the null sender <>. */
  readonly from: string;
  readonly rcpts: readonly EnvelopeRcpt[];
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly smtputf8: boolean;
  readonly body: '7BIT' | '8BITMIME' | 'BINARYMIME';
  readonly receivedAt: Date;
  /** Who sent it: for Received lines and DSN reports. */
  readonly client: { readonly helo: string; readonly ip: string; readonly user?: string; readonly tls: boolean; readonly protocol: string };
}

export type QueueId = string;
export type RcptState = 'pending' | 'deferred' | 'delivered' | 'failed';

/** A recipient as the queue tracks it. */
export interface QueueRcpt extends EnvelopeRcpt {
  readonly state: RcptState;
  readonly attempts: number;
  /** When a pending or deferred recipient may be tried next. */
  readonly nextAttempt: Date;
  /** The last reply or error text (for `queue list` and DSNs). */
  readonly lastReply?: string;
  readonly remoteMta?: string;
  /** When the last attempt for this recipient was settled (DSN Last-Attempt-Date, `queue list`). */
  readonly lastAttempt?: Date;
  /** A delay notice (RFC 3464 Action: delayed) was sent for this recipient: it is sent once. */
  readonly delayReported?: boolean;
}

/** A queued message. */
export interface QueueItem {
  readonly id: QueueId;
  readonly envelope: Envelope;
  readonly body: BlobRef;
  readonly rcpts: readonly QueueRcpt[];
  readonly createdAt: Date;
  readonly held: boolean;
}

/**
 * What a successful delivery was, for the DSN it may owe (RFC 3464 §2.3.3 Action): `delivered` into a mailbox
 * here, `relayed` to a next hop that does not offer DSN (so it will never report), `expanded` by an alias to more
 * than one target. Relayed to a hop that offers DSN, the NOTIFY request travels on (`dsnPassedOn`) and the report
 * is that hop's to send.
 */
export type DeliveredAction = 'delivered' | 'relayed' | 'expanded';

/** The outcome of one delivery attempt for one recipient (plain data: the reply code and text). */
export type RcptResult =
  | {
      readonly rcpt: string;
      readonly outcome: 'delivered';
      readonly reply: string;
      readonly remoteMta?: string;
      /** Default `delivered`. */
      readonly action?: DeliveredAction;
      /** The next hop took over the DSN request (it offered DSN): no success report is ours to send. */
      readonly dsnPassedOn?: boolean;
    }
  | {
      readonly rcpt: string;
      readonly outcome: 'deferred' | 'failed';
      readonly code: number;
      readonly enhanced?: string;
      readonly text: string;
      readonly remoteMta?: string;
      /** For 'deferred': when to try again (the backoff policy belongs to mta/). */
      readonly retryAt?: Date;
      /** For 'deferred': a delay notice was sent for this deferral (recorded so it is sent only once). */
      readonly delayReported?: boolean;
    };

/** The durable queue: per-recipient state, leases for workers (FOR UPDATE SKIP LOCKED on PostgreSQL). */
export interface Queue {
  /** Durable when it resolves; only then may the SMTP server answer 250. */
  enqueue(env: Envelope, body: BlobRef): Promise<QueueId>;
  /** Leases up to `limit` items that have a recipient due at `now` and are not held or leased by another worker. */
  claim(o: { now: Date; limit: number; leaseMs: number; worker: string }): Promise<QueueItem[]>;
  /** Records results, ends the lease; when no recipient is pending or deferred the item and its blob are removed. */
  settle(id: QueueId, results: readonly RcptResult[], now: Date): Promise<void>;
  get(id: QueueId): Promise<QueueItem | undefined>;
  list(): Promise<QueueItem[]>;
  /** Makes every deferred recipient due now (queue flush) or only those of one item. */
  retryNow(id?: QueueId): Promise<number>;
  hold(id: QueueId, held: boolean): Promise<boolean>;
  delete(id: QueueId): Promise<boolean>;
  counts(): Promise<{ items: number; pending: number; deferred: number; held: number }>;
}

/** A whole storage backend. */
export interface Store {
  readonly blobs: BlobStore;
  readonly users: UserRepo;
  readonly domains: DomainRepo;
  readonly aliases: AliasRepo;
  readonly queue: Queue;
  /** A user's mailbox, created on first use. */
  mailbox(userId: string, name?: string): Promise<Mailbox>;
  /**
   * Appends messages to several mailboxes atomically: all or none, in one durable write (local delivery at receipt:
   * the message is in every mailbox when the SMTP server answers 250). Each append is as `Mailbox.append`.
   */
  appendAll(copies: readonly { readonly mailbox: Mailbox; readonly blob: BlobRef; readonly meta: AppendMeta }[]): Promise<MessageRecord[]>;
  /** Creates or upgrades the schema (a schema version table and ordered migrations). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
