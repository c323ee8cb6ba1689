/**
 * Which settled recipients need a delivery status notification (RFC 3461 §4.1, §6.2; RFC 3464 §2.3.3 Action),
 * decided when the queue runner settles an attempt. The reports themselves are built by `mta/dsn/`.
 *
 * Rules (STYLE.md §8):
 * - A message from the null sender `<>` never produces a DSN (Postfix's double-bounce rule).
 * - `NOTIFY=NEVER` suppresses every report for that recipient.
 * - failed → a report when NOTIFY contains FAILURE, or when NOTIFY is absent (RFC 3461 §4.1: the default).
 * - delivered, relayed, expanded (the result's `action`) → a report only when NOTIFY contains SUCCESS, and not
 *   when the next hop took the DSN request over (`dsnPassedOn`: that hop reports, RFC 3461 §4.2).
 * - deferred → a `delayed` report only when NOTIFY contains DELAY (delay notices are off when NOTIFY is absent),
 *   only once per recipient (`delayReported`), and only once the message has waited `delayAfterMs` (Postfix's
 *   delay_warning_time). The runner marks the deferral `delayReported` before it settles.
 */
import type { DeliveredAction, QueueItem, QueueRcpt, RcptResult } from '../../store/index.js';

/** RFC 3464 §2.3.3 Action values a report can carry. */
export type DsnAction = DeliveredAction | 'failed' | 'delayed';

/** One report the DSN generator owes. */
export interface DsnNeed {
  readonly kind: DsnAction;
  readonly item: QueueItem;
  readonly rcpt: QueueRcpt;
  readonly result: RcptResult;
}

/** When delay notices are due. */
export interface DelayPolicy {
  /** Time since the message arrived after which a deferral owes a delay notice (NOTIFY=DELAY only). */
  readonly delayAfterMs: number;
  readonly now: Date;
}

/**
 * The reports owed for the results of one attempt.
 *
 * @example
 * ```ts
 * dsnNeeds(item, [{ rcpt: 'b@y.test', outcome: 'delivered', reply: '250 Ok' }]); // [] unless NOTIFY=SUCCESS
 * ```
 */
export function dsnNeeds(item: QueueItem, results: readonly RcptResult[], delay?: DelayPolicy): DsnNeed[] {
  if (item.envelope.from === '') return [];
  const out: DsnNeed[] = [];
  for (const result of results) {
    const rcpt = item.rcpts.find((r) => r.address === result.rcpt);
    if (!rcpt) continue;
    const notify = rcpt.notify;
    if (notify?.includes('NEVER')) continue;
    if (result.outcome === 'delivered') {
      if (notify?.includes('SUCCESS') && result.dsnPassedOn !== true) out.push({ kind: result.action ?? 'delivered', item, rcpt, result });
    } else if (result.outcome === 'failed') {
      if (notify === undefined || notify.length === 0 || notify.includes('FAILURE')) out.push({ kind: 'failed', item, rcpt, result });
    } else if (delay && notify?.includes('DELAY') && rcpt.delayReported !== true) {
      if (delay.now.getTime() - item.createdAt.getTime() >= delay.delayAfterMs) out.push({ kind: 'delayed', item, rcpt, result });
    }
  }
  return out;
}
