/**
 * The local delivery agent: queued message → the mailboxes of this server's users (issue 3 §3, DESIGN.md §3).
 *
 * For each recipient: aliases are expanded (aliases.ts); every local target gets its own message: the three trace
 * fields (trace.ts) as the message's `prefix` and the queue item's blob, shared and reference counted by the store
 * (no body is written, no fsync of a copy): `mailbox.append(item.body, { prefix, parts, deliveryId })`. The MIME
 * part index is computed by reading prefix + queued body through the tokenizer (stored-body.ts), so its offsets are
 * those of the whole stored message.
 * - A body received over SMTP is CRLF already (the SMTP engine guarantees it). A body handed to the backend by
 *   another route (the session API accepts any stream) may have bare LFs: that is found while indexing, and only
 *   then a CRLF copy (trace fields + body) is written as a new blob, as before.
 *
 * Guarantees:
 * - Delivered at most once per mailbox: the deliveryId is `${queueId}:${mailbox address}` and `Mailbox.append` is
 *   idempotent per deliveryId, so a retry after a crash between append and `Queue.settle` stores nothing twice
 *   (a copy written by the retry is deleted). The same id also merges two recipients that expand to one user.
 * - The queued body is streamed from the blob store, never held in memory; the queued blob outlives the queue item
 *   while a message refers to it (the store's reference counting).
 * - Outcomes per recipient: `delivered` when every local target has the message; `failed 550 5.1.1` when the
 *   address resolves to nothing; `failed 554 5.4.6` when alias expansion only loops; `deferred` (4.3.0) when a
 *   store operation fails, retried by the queue.
 * - Forwarding: alias targets in other domains go back into the queue as a new item (same sender and body blob,
 *   shared) through `forward`, after the local copies; the relay delivers it. An alias that expands to more than
 *   one target is reported `expanded` to a NOTIFY=SUCCESS sender (RFC 3461 §6.2.7.3), and SUCCESS is then not
 *   passed on to the targets; a single forwarded target keeps the NOTIFY request (its relay reports).
 * Limits: a crash between the forward's enqueue and the settle forwards once more on retry (at least once).
 * Without `forward`, such a recipient is deferred ("Forwarding is not configured").
 */
import type { Readable } from 'node:stream';
import { BlobTooLargeError, type BlobRef, type EnvelopeRcpt, type Notify, type QueueItem, type QueueRcpt, type RcptResult, type Store } from '../../store/index.js';
import type { MtaLogger } from '../deps.js';
import type { DeliveryAgent } from './agent.js';
import type { AddressResolver, LocalTarget } from './aliases.js';
import { indexStored, PartIndexer, storedBody } from './stored-body.js';
import { deliveryTrace } from './trace.js';

export interface LocalDeliveryOptions {
  readonly store: Pick<Store, 'blobs' | 'mailbox'>;
  readonly resolver: AddressResolver;
  /** This server's name, for the Received line. */
  readonly hostname: string;
  readonly now: () => Date;
  readonly log: MtaLogger;
  /** The reverse DNS name of a client IP, when known (asked once per queue item; default: none, the IP is written). */
  readonly ptr?: (ip: string) => Promise<string | undefined>;
  /** Minutes east of UTC for the Received date (default 0). */
  readonly tzOffsetMinutes?: number;
  /** Bound on a delivered message, trace fields included (default: no bound beyond the queued body's size). */
  readonly maxBytes?: number;
  /** Queues a copy of `item` (same sender and body) for recipients in other domains; durable when it resolves. */
  readonly forward?: (item: QueueItem, rcpts: readonly EnvelopeRcpt[]) => Promise<void>;
}

type TargetOutcome = 'delivered' | 'deferred';

/**
 * The id that makes a mailbox append idempotent: one copy per queue item and final mailbox (a retry after a crash
 * stores nothing twice; two recipients that expand to one mailbox get one copy).
 *
 * @example
 * ```ts
 * deliveryId('Q1', 'ann@example.org') === 'Q1:ann@example.org';
 * ```
 */
export function deliveryId(queueId: string, mailbox: string): string {
  return `${queueId}:${mailbox}`;
}

/** The client's reverse DNS name for the Received line (undefined: unknown, the IP is written). */
type ClientName = () => Promise<string | undefined>;

/**
 * Creates the local delivery agent.
 *
 * @example
 * ```ts
 * const local = createLocalDelivery({ store, resolver, hostname: 'mx.example.org', now: () => new Date(), log });
 * const results = await local.deliver(item, () => store.blobs.get(item.body), signal);
 * ```
 */
export function createLocalDelivery(o: LocalDeliveryOptions): DeliveryAgent {
  const deliverCopy = async (item: QueueItem, rcpt: QueueRcpt, target: LocalTarget, body: () => Promise<Readable>, clientName: ClientName): Promise<void> => {
    const date = o.now();
    const ptr = await clientName();
    const trace = deliveryTrace(item.envelope, {
      queueId: item.id,
      rcpt: rcpt.address,
      deliveredTo: target.address,
      hostname: o.hostname,
      date,
      ...(ptr ? { ptr } : {}),
      ...(o.tzOffsetMinutes !== undefined ? { tzOffsetMinutes: o.tzOffsetMinutes } : {}),
    });
    if (o.maxBytes !== undefined && trace.length + item.body.size > o.maxBytes) throw new BlobTooLargeError(o.maxBytes);
    let indexer = new PartIndexer();
    let src = await body();
    let crlf: boolean;
    try {
      crlf = await indexStored(trace, src, indexer);
    } finally {
      src.destroy();
    }
    let blob: BlobRef = item.body;
    if (!crlf) {
      // Bare LF (not from the SMTP engine): write a copy with CRLF line ends. Bare LF → CRLF can at most double the
      // body; the trace fields come on top.
      indexer = new PartIndexer();
      src = await body();
      try {
        blob = await o.store.blobs.put(storedBody(trace, src, indexer), { maxBytes: o.maxBytes ?? trace.length + 2 * item.body.size + 2 });
      } finally {
        src.destroy();
      }
      // On an error the copy is left alone: if the append committed but its fsync failed, a row may point to it.
      // A blob without a row is collected by the store at start.
    }
    const mailbox = await o.store.mailbox(target.user.id);
    const rec = await mailbox.append(blob, {
      receivedAt: date,
      parts: indexer.finish(),
      deliveryId: deliveryId(item.id, target.address),
      ...(crlf ? { prefix: trace } : {}),
    });
    // Already delivered by an earlier attempt (crash before settle): the store returned the first message. (An
    // earlier copy identical to this one in every byte and date, possible only with a frozen clock, is not told.)
    const samePrefix = (rec.prefix ?? Buffer.alloc(0)).equals(crlf ? trace : Buffer.alloc(0));
    if (rec.blob.id !== blob.id || rec.receivedAt.getTime() !== date.getTime() || !samePrefix) {
      o.log.info({ queueId: item.id, rcpt: rcpt.address, to: target.address, uid: rec.uid }, 'already delivered');
    }
  };

  const deliverRcpt = async (
    item: QueueItem,
    rcpt: QueueRcpt,
    body: () => Promise<Readable>,
    clientName: ClientName,
    signal: AbortSignal,
  ): Promise<RcptResult> => {
    const exp = await o.resolver.expand(rcpt.address);
    if (exp.local.length === 0 && exp.remote.length === 0) {
      return exp.loop
        ? { rcpt: rcpt.address, outcome: 'failed', code: 554, enhanced: '5.4.6', text: 'Alias expansion loop' }
        : { rcpt: rcpt.address, outcome: 'failed', code: 550, enhanced: '5.1.1', text: 'User unknown' };
    }
    const outcomes: TargetOutcome[] = [];
    for (const target of exp.local) {
      if (signal.aborted) {
        outcomes.push('deferred');
        break;
      }
      try {
        await deliverCopy(item, rcpt, target, body, clientName);
        outcomes.push('delivered');
        o.log.info({ queueId: item.id, rcpt: rcpt.address, to: target.address }, 'delivered');
      } catch (err) {
        o.log.error({ err, queueId: item.id, rcpt: rcpt.address, to: target.address }, 'local delivery failed');
        outcomes.push('deferred');
      }
    }
    if (outcomes.includes('deferred')) {
      return { rcpt: rcpt.address, outcome: 'deferred', code: 451, enhanced: '4.3.0', text: 'Mailbox temporarily unavailable' };
    }
    const targets = exp.local.length + exp.remote.length;
    const expanded = targets > 1 ? ({ action: 'expanded' } as const) : {};
    if (exp.remote.length > 0) {
      if (!o.forward) return { rcpt: rcpt.address, outcome: 'deferred', code: 451, enhanced: '4.4.0', text: 'Forwarding is not configured' };
      // RFC 3461 §6.2.7.3: after an expansion the targets do not inherit SUCCESS (the `expanded` report answers it).
      const kept: Notify[] = (rcpt.notify ?? []).filter((n) => targets === 1 || n !== 'SUCCESS');
      const notify: Notify[] | undefined = rcpt.notify === undefined ? undefined : kept.length > 0 ? kept : ['NEVER'];
      const orcpt = rcpt.orcpt ?? `rfc822;${rcpt.address}`;
      // The local copies above are idempotent on retry; the forward is queued once they are all in.
      await o.forward(item, exp.remote.map((address) => ({ address, orcpt, ...(notify ? { notify } : {}) })));
      o.log.info({ queueId: item.id, rcpt: rcpt.address, to: exp.remote }, 'forwarded');
      const passedOn = targets === 1 ? { dsnPassedOn: true } : {};
      return { rcpt: rcpt.address, outcome: 'delivered', reply: `250 2.0.0 Forwarded to ${exp.remote.join(', ')}`, ...expanded, ...passedOn };
    }
    return {
      rcpt: rcpt.address,
      outcome: 'delivered',
      reply: `250 2.0.0 Delivered to ${exp.local.length} mailbox${exp.local.length === 1 ? '' : 'es'}`,
      ...expanded,
    };
  };

  return {
    async deliver(item, body, signal) {
      const results: RcptResult[] = [];
      // Every copy of the item names the same client: its reverse DNS name is asked once, when a copy first needs it.
      let ptr: Promise<string | undefined> | undefined;
      const lookupPtr = o.ptr;
      const clientName: ClientName = () => (ptr ??= lookupPtr ? lookupPtr(item.envelope.client.ip).catch(() => undefined) : Promise.resolve(undefined));
      for (const rcpt of item.rcpts) {
        if (signal.aborted) {
          results.push({ rcpt: rcpt.address, outcome: 'deferred', code: 451, enhanced: '4.3.0', text: 'Delivery interrupted' });
          continue;
        }
        try {
          results.push(await deliverRcpt(item, rcpt, body, clientName, signal));
        } catch (err) {
          o.log.error({ err, queueId: item.id, rcpt: rcpt.address }, 'local delivery failed');
          results.push({ rcpt: rcpt.address, outcome: 'deferred', code: 451, enhanced: '4.3.0', text: 'Local delivery failed' });
        }
      }
      return results;
    },
  };
}

/**
 * The `forward` of local delivery that queues the copy: a new item with the same envelope sender, DSN
 * parameters and body blob (shared, reference counted), arriving now; `queued` wakes the runner.
 *
 * @example
 * ```ts
 * const local = createLocalDelivery({ ..., forward: forwardByQueue(store.queue, () => new Date(), () => runner.notify()) });
 * ```
 */
export function forwardByQueue(queue: Pick<Store['queue'], 'enqueue'>, now: () => Date, queued: () => void = () => {}): NonNullable<LocalDeliveryOptions['forward']> {
  return async (item, rcpts) => {
    await queue.enqueue({ ...item.envelope, rcpts, receivedAt: now() }, item.body);
    queued();
  };
}
