/**
 * One POP3 session's view of a user's INBOX (RFC 1939 §8): the maildrop lock, a snapshot of the messages taken
 * right after the lock, byte streams of them, and the deletions of QUIT.
 *
 * Guarantees:
 * - The snapshot never changes during the session: message numbers are positions in it (RFC 1939 §5), and a
 *   message delivered while the session runs waits for the next one.
 * - `commit` removes exactly the snapshot's messages it is given, in one `Mailbox.expunge` (atomic and durable
 *   when it resolves, per the store contract); a uid outside the snapshot is never passed on. Nothing else here
 *   writes: RETR and TOP only read (the original stays on the server).
 * - `release` releases the lock once; calling it again does nothing, and a release that failed may be retried.
 * - A store error is logged with its cause and becomes `-ERR [SYS/TEMP]` (STYLE.md §4: its text never reaches
 *   the wire).
 * Limits: the snapshot holds one small record per message (uid, size, body offset) in memory.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../proto/index.js';
import { Pop3Error, temporaryFailure } from '../pop3/index.js';
import type { Pop3Maildrop, Pop3Message } from '../pop3/server/index.js';
import type { Mailbox, MailboxLock, MessageRecord } from '../store/index.js';

/**
 * Largest message RETR reads whole instead of streaming: the SQLite store's inline bodies are this size, so the
 * read is one statement and no stream; a larger message streams with backpressure.
 */
const READ_WHOLE_BYTES = 64 * 1024;

/**
 * Read-ahead (as a kernel reads ahead of a sequential file reader): a RETR that follows the previous one in
 * snapshot order doubles the window, up to this many messages and bytes held per session; any other order starts
 * again at one. Clients fetch a maildrop in order (fetchmail, getmail, poplib loops, mutt), so a whole maildrop is
 * read in batches of up to 64 with one store call each, instead of one per message.
 */
const AHEAD_MESSAGES = 64;
const AHEAD_BYTES = 128 * 1024;

/** Where a maildrop's log lines go and whom they are about. */
export interface MaildropContext {
  readonly log: Logger;
  /** The connection id, carried by every log line about the session. */
  readonly conn: string;
}

/**
 * The offset of the first body octet of a stored message: the `body` offset of the root entry of its part index
 * (path '', the first entry in document order), or undefined when there is no usable index.
 *
 * @example
 * ```ts
 * bodyOffset({ size: 20, parts: [{ path: '', contentType: 'text/plain', header: 0, body: 9, end: 20 }] }); // 9
 * ```
 */
export function bodyOffset(rec: Pick<MessageRecord, 'size' | 'parts'>): number | undefined {
  // The tokenizer gives an encapsulated message/rfc822 the path of its parent, so the first '' is the root.
  const root = rec.parts?.find((p) => p.path === '') ?? rec.parts?.[0];
  const at = root?.body;
  // A stored index that does not fit the message is ignored (the server then scans the header itself).
  return at !== undefined && Number.isSafeInteger(at) && at >= 0 && at <= rec.size ? at : undefined;
}

/**
 * Logs a store error with its cause and returns the Pop3Error to throw instead (a Pop3Error passes as is).
 *
 * @example
 * ```ts
 * try { await mailbox.expunge(uids); } catch (err) { throw storeFailure(ctx, err, 'commit'); } // -ERR [SYS/TEMP]
 * ```
 */
export function storeFailure(ctx: MaildropContext, err: unknown, what: string, fields: object = {}): Pop3Error {
  if (err instanceof Pop3Error) return err;
  ctx.log.error({ conn: ctx.conn, err, ...fields }, `maildrop: ${what} failed`);
  return temporaryFailure();
}

/** A locked maildrop over a store Mailbox. */
export class StoreMaildrop implements Pop3Maildrop {
  readonly #mailbox: Mailbox;
  readonly #lock: MailboxLock;
  readonly #ctx: MaildropContext;
  /** Snapshot position by uid, built on first use: a session that only lists its messages never needs it. */
  #index: ReadonlyMap<string, number> | null = null;
  /**
   * Messages read ahead and not yet taken (at most AHEAD_MESSAGES and AHEAD_BYTES): those at snapshot positions
   * #aheadFrom, #aheadFrom + 1, …, one slot each (undefined once taken). By position, not by uid: a pipelined RETR
   * finds its message with an index, no hashing of strings.
   */
  #ahead: (readonly Buffer[] | undefined)[] = [];
  #aheadFrom = 0;
  /** The snapshot position a sequential reader asks for next, and the current read-ahead window. */
  #next = -1;
  #window = 1;
  #releasing: Promise<void> | null = null;
  #released = false;

  /**
   * @param user the authenticated user's address
   * @param messages the snapshot taken under `lock`: the store's `Mailbox.summary()` as it is (TOP checks a body
   *   offset against the message size before it trusts it, so the snapshot is not copied to check it here)
   */
  constructor(
    readonly user: string,
    readonly messages: readonly Pop3Message[],
    mailbox: Mailbox,
    lock: MailboxLock,
    ctx: MaildropContext,
  ) {
    this.#mailbox = mailbox;
    this.#lock = lock;
    this.#ctx = ctx;
  }

  /** The position of `uid` in this session's snapshot (`at` when it is a right hint), or undefined when not in it. */
  #positionOf(uid: string, at?: number): number | undefined {
    if (at !== undefined && this.messages[at]?.uid === uid) return at;
    this.#index ??= new Map(this.messages.map((m, i) => [m.uid, i]));
    return this.#index.get(uid);
  }

  /** Whether `uid` is in this session's snapshot. */
  #inSnapshot(uid: string): boolean {
    return this.#positionOf(uid) !== undefined;
  }

  async open(uid: string, range?: { start: number; end: number }): Promise<Readable> {
    if (!this.#inSnapshot(uid)) throw new Error(`Cannot open message ${JSON.stringify(uid)}: not in this session's snapshot`);
    try {
      return await this.#mailbox.open(uid, range);
    } catch (err) {
      throw storeFailure(this.#ctx, err, 'open', { uid });
    }
  }

  readReady(uid: string, hint?: number): readonly Buffer[] | undefined {
    if (this.#ahead.length === 0) return undefined;
    const at = this.#positionOf(uid, hint);
    return at === undefined ? undefined : this.#takeAhead(at);
  }

  /** The message at snapshot position `at` when it was read ahead, handed out once; undefined otherwise. */
  #takeAhead(at: number): readonly Buffer[] | undefined {
    const i = at - this.#aheadFrom;
    const whole = i >= 0 ? this.#ahead[i] : undefined;
    if (whole) {
      this.#ahead[i] = undefined;
      this.#next = at + 1;
    }
    return whole;
  }

  async read(uid: string, hint?: number): Promise<readonly Buffer[] | undefined> {
    const at = this.#positionOf(uid, hint);
    if (at === undefined) throw new Error(`Cannot read message ${JSON.stringify(uid)}: not in this session's snapshot`);
    const ready = this.#takeAhead(at);
    if (ready) return ready;
    this.#window = at === this.#next ? Math.min(this.#window * 2, AHEAD_MESSAGES) : 1;
    this.#ahead = [];
    // The window: this message, then those after it while they are small enough to read whole and fit the budget (a
    // message too large to read whole is not read here: the server streams it, and its size does not count).
    const uids = [uid];
    let bytes = this.messages[at]!.size <= READ_WHOLE_BYTES ? this.messages[at]!.size : 0;
    for (let i = at + 1; i < this.messages.length && uids.length < this.#window; i++) {
      const m = this.messages[i]!;
      if (m.size > READ_WHOLE_BYTES || bytes + m.size > AHEAD_BYTES) break;
      uids.push(m.uid);
      bytes += m.size;
    }
    let got: (readonly Buffer[] | undefined)[];
    try {
      got = await this.#mailbox.readMany(uids, READ_WHOLE_BYTES).catch((err: unknown) => {
        // A message read ahead may have been removed behind the lock (by the administrator): this one alone, then.
        if (uids.length === 1) throw err;
        this.#window = 1;
        uids.length = 1;
        return this.#mailbox.readMany(uids, READ_WHOLE_BYTES);
      });
    } catch (err) {
      throw storeFailure(this.#ctx, err, 'read', { uid });
    }
    this.#ahead = got.slice(1);
    this.#aheadFrom = at + 1;
    this.#next = at + 1;
    return got[0];
  }

  async commit(deleted: ReadonlySet<string>): Promise<void> {
    if (this.#released || this.#releasing) throw new Error('Cannot commit: the maildrop was released');
    // Only messages of the snapshot: a uid from anywhere else would delete what this session never showed.
    const uids = [...deleted].filter((u) => this.#inSnapshot(u));
    if (uids.length === 0) return;
    try {
      // RFC 1939 §6: the UPDATE state removes every message marked as deleted; the store does it all or not at all.
      await this.#mailbox.expunge(uids);
    } catch (err) {
      throw storeFailure(this.#ctx, err, 'commit', { deleted: uids.length });
    }
    this.#ctx.log.info({ conn: this.#ctx.conn, user: this.user, deleted: uids.length }, 'maildrop: deleted messages');
  }

  release(): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#releasing ??= this.#lock.release().then(
      () => {
        this.#released = true;
      },
      (err: unknown) => {
        // The lock stays held; a later call tries again.
        this.#releasing = null;
        throw storeFailure(this.#ctx, err, 'release');
      },
    );
    return this.#releasing;
  }
}
