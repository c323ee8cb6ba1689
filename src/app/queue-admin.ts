/**
 * Queue administration, the analogue of Postfix's mailq/postqueue/postsuper: list the queue, show one message
 * (envelope, every recipient, the message's header), make deferred recipients due now (flush, retry), hold,
 * release and delete messages. The `postroom queue …` commands are thin adapters over these functions and over
 * `notifyDaemon` (control.ts), which tells a running server to run its queue at once.
 *
 * Guarantees: an unknown queue id is an AdminError 'not-found' (`no queued message ID`); changes go through the
 * store's Queue (durable when they resolve), so they are safe while the server runs (SQLite WAL); text that comes
 * from a message or a remote server is made printable by `printable` before the command line shows it.
 * Limits: `showQueueItem` reads at most `maxHeaderBytes` (64 KiB) of the message for its header.
 */
import { headerEnd } from '../mime/index.js';
import { isOpen, type QueueItem, type RcptState, type Store } from '../store/index.js';
import { AdminError } from './admin.js';

/** How much of a queued message `showQueueItem` reads to find the end of its header. */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * True for a recipient the queue still has to deliver (pending or deferred).
 *
 * @example
 * ```ts
 * isOpenRcpt({ state: 'deferred' }) === true; isOpenRcpt({ state: 'delivered' }) === false;
 * ```
 */
export function isOpenRcpt(r: { readonly state: RcptState }): boolean {
  return isOpen(r.state); // the queue's own definition (store/queue-rules.ts)
}

/**
 * The queued messages, oldest first (ties by queue id).
 *
 * @example
 * ```ts
 * for (const item of await listQueue(store)) console.log(item.id, item.envelope.from);
 * ```
 */
export async function listQueue(store: Store): Promise<QueueItem[]> {
  const items = await store.queue.list();
  return items.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * One queued message; AdminError 'not-found' when there is none with that id.
 *
 * @example
 * ```ts
 * const item = await getQueueItem(store, '0mk1x2y3z4a5b6c7d8e'); // throws `no queued message …` when unknown
 * ```
 */
export async function getQueueItem(store: Store, id: string): Promise<QueueItem> {
  const item = await store.queue.get(id);
  if (!item) throw new AdminError('not-found', `no queued message ${id}`);
  return item;
}

/** The header of a queued message as `queue show` prints it. */
export interface QueuedHeader {
  /** The header lines without the blank line that ends them (line ends as stored), decoded as UTF-8. */
  readonly text: string;
  /** True when no blank line came within the bytes read: `text` is the start of a longer header (or has none). */
  readonly truncated: boolean;
}

/** What `queue show` prints: the item and its header (null when the body could not be read). */
export interface QueueItemDetail {
  readonly item: QueueItem;
  readonly header: QueuedHeader | null;
}

/**
 * Reads the header of a queued message: its first bytes (at most `maxBytes`) up to the empty line.
 *
 * @example
 * ```ts
 * const { text, truncated } = await readQueuedHeader(store, item); // text: 'From: …\r\nSubject: …\r\n'
 * ```
 */
export async function readQueuedHeader(store: Store, item: QueueItem, maxBytes = MAX_HEADER_BYTES): Promise<QueuedHeader> {
  const end = Math.min(item.body.size, maxBytes);
  const chunks: Buffer[] = [];
  let got = 0;
  if (end > 0) {
    // A bounded range read (at most maxBytes), so collecting it in memory is fine.
    for await (const c of await store.blobs.get(item.body, { start: 0, end })) {
      const b = Buffer.from(c as Uint8Array);
      chunks.push(b);
      got += b.length;
      if (got >= end) break;
    }
  }
  const buf = Buffer.concat(chunks).subarray(0, end);
  const at = headerEnd(buf);
  if (at !== null) return { text: buf.subarray(0, at).toString('utf8'), truncated: false };
  // No empty line: the whole message is a header when it was read to its end, else the header goes on.
  return { text: buf.toString('utf8'), truncated: end < item.body.size };
}

/**
 * One queued message with its header, for `queue show`. AdminError 'not-found' for an unknown id; a body that
 * cannot be read gives `header: null` rather than an error (the envelope is still worth seeing).
 *
 * @example
 * ```ts
 * const { item, header } = await showQueueItem(store, id);
 * ```
 */
export async function showQueueItem(store: Store, id: string, maxHeaderBytes = MAX_HEADER_BYTES): Promise<QueueItemDetail> {
  const item = await getQueueItem(store, id);
  const header = await readQueuedHeader(store, item, maxHeaderBytes).catch(() => null);
  return { item, header };
}

/** What a flush or retry did. */
export interface RetryResult {
  /** Recipients still to deliver in messages not on hold: every one of them is due now. */
  readonly recipients: number;
  /** Messages that had a deferred recipient (what the queue made due). */
  readonly messages: number;
  /** Queue ids of the messages concerned that are on hold: they stay in the queue until released. */
  readonly held: readonly string[];
}

/**
 * Makes every deferred recipient due now: of one message (`id`, AdminError 'not-found' when unknown) or of the
 * whole queue (Postfix's `postqueue -f` / `postqueue -i ID`). A running server still has to be told
 * (`notifyDaemon`), or it tries them at its next poll.
 *
 * @example
 * ```ts
 * const { recipients } = await retryQueue(store);        // the whole queue
 * await retryQueue(store, '0mk1x2y3z4a5b6c7d8e');        // one message
 * ```
 */
export async function retryQueue(store: Store, id?: string): Promise<RetryResult> {
  const items = id === undefined ? await store.queue.list() : [await getQueueItem(store, id)];
  const messages = await store.queue.retryNow(id);
  let recipients = 0;
  const held: string[] = [];
  for (const item of items) {
    const open = item.rcpts.filter(isOpenRcpt).length;
    if (item.held && open > 0) held.push(item.id);
    else if (!item.held) recipients += open;
  }
  return { recipients, messages, held };
}

/**
 * Puts a message on hold (`held` true: it is not delivered until released) or releases it.
 * AdminError 'not-found' for an unknown id.
 *
 * @example
 * ```ts
 * await holdQueueItem(store, id, true);   // postroom queue hold ID
 * await holdQueueItem(store, id, false);  // postroom queue release ID
 * ```
 */
export async function holdQueueItem(store: Store, id: string, held: boolean): Promise<void> {
  if (!(await store.queue.hold(id, held))) throw new AdminError('not-found', `no queued message ${id}`);
}

/**
 * Removes a message from the queue without delivering it or sending a DSN (Postfix's `postsuper -d`).
 * AdminError 'not-found' for an unknown id.
 *
 * @example
 * ```ts
 * await deleteQueueItem(store, id);
 * ```
 */
export async function deleteQueueItem(store: Store, id: string): Promise<void> {
  if (!(await store.queue.delete(id))) throw new AdminError('not-found', `no queued message ${id}`);
}

/**
 * Makes text from a message or a remote server safe to print on a terminal: control characters other than tab
 * (C0, DEL and the C1 range, which some terminals obey as escape sequences) become `\xNN` or `\u00NN`.
 *
 * @example
 * ```ts
 * printable('Subject: \x1b[2Jhi') === 'Subject: \\x1b[2Jhi';
 * ```
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x80 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
