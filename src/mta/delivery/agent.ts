/**
 * The delivery agent contract (STYLE.md §5, §8) and the placeholder remote agent.
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

/** The text of the placeholder remote agent's deferral. */
export const REMOTE_NOT_AVAILABLE = 'Remote delivery is not available yet';

/**
 * PLACEHOLDER until the relay issue lands: recipients in other domains stay in the queue, deferred with
 * `451 4.4.0 Remote delivery is not available yet`, and are retried with the normal backoff (so they expire after
 * the queue lifetime like any undeliverable mail). The relay issue replaces this with the MX/smarthost agent.
 *
 * @example
 * ```ts
 * const [r] = await remotePlaceholderAgent().deliver(item, body, signal);
 * r.outcome === 'deferred';
 * ```
 */
export function remotePlaceholderAgent(): DeliveryAgent {
  return {
    async deliver(item) {
      return item.rcpts.map((r) => ({
        rcpt: r.address,
        outcome: 'deferred' as const,
        code: 451,
        enhanced: '4.4.0',
        text: REMOTE_NOT_AVAILABLE,
      }));
    },
  };
}
