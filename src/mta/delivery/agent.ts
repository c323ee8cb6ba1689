/**
 * The delivery agent contract (STYLE.md §5, §8): implemented by local delivery (local.ts) and relay (remote.ts).
 *
 * An agent receives a queue item restricted to the recipients it must try now, a way to open the queued body
 * (a fresh stream on each call, so an agent may read it once per mailbox), and a signal that aborts when the
 * lease is about to run out or the runner stops. It returns one result per recipient; outcomes are per recipient
 * and the runner turns a temporary failure into a retry time (`queue/backoff.ts`).
 */
import type { Readable } from 'node:stream';
import type { QueueItem, RcptResult } from '../../store/index.js';

/** Delivers the recipients of `item` (already filtered to this agent's due recipients). */
export interface DeliveryAgent {
  deliver(item: QueueItem, body: () => Promise<Readable>, signal: AbortSignal): Promise<RcptResult[]>;
}
