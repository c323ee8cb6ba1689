/**
 * Which settled recipients need a delivery status notification (RFC 3461 §4.1, RFC 3464), decided when the queue
 * runner settles an attempt. The DSN generator itself comes with the relay issue; until then the runner reports
 * each need to an `onDsn` hook and logs it (`dsn pending`), so nothing is decided twice later.
 *
 * Rules (STYLE.md §8):
 * - A message from the null sender `<>` never produces a DSN (Postfix's double-bounce rule).
 * - `NOTIFY=NEVER` suppresses every report for that recipient.
 * - delivered → a report only when NOTIFY contains SUCCESS.
 * - failed → a report when NOTIFY contains FAILURE, or when NOTIFY is absent (RFC 3461 §4.1: the default is
 *   FAILURE, and DELAY at the server's choice).
 * - deferred → no report: delay notices are off by default.
 */
import type { QueueItem, QueueRcpt, RcptResult } from '../../store/index.js';

/** One report the DSN generator owes. */
export interface DsnNeed {
  readonly kind: 'success' | 'failure';
  readonly item: QueueItem;
  readonly rcpt: QueueRcpt;
  readonly result: RcptResult;
}

/**
 * The reports owed for the results of one attempt.
 *
 * @example
 * ```ts
 * dsnNeeds(item, [{ rcpt: 'b@y.test', outcome: 'delivered', reply: '250 Ok' }]); // [] unless NOTIFY=SUCCESS
 * ```
 */
export function dsnNeeds(item: QueueItem, results: readonly RcptResult[]): DsnNeed[] {
  if (item.envelope.from === '') return [];
  const out: DsnNeed[] = [];
  for (const result of results) {
    const rcpt = item.rcpts.find((r) => r.address === result.rcpt);
    if (!rcpt) continue;
    const notify = rcpt.notify;
    if (notify?.includes('NEVER')) continue;
    if (result.outcome === 'delivered' && notify?.includes('SUCCESS')) out.push({ kind: 'success', item, rcpt, result });
    if (result.outcome === 'failed' && (notify === undefined || notify.length === 0 || notify.includes('FAILURE'))) {
      out.push({ kind: 'failure', item, rcpt, result });
    }
  }
  return out;
}
