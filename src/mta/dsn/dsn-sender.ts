/**
 * Queues delivery status notifications: the queue runner's `onDsn` (STYLE.md §8: … → settle → dsn). The needs of
 * one attempt are grouped by queue item, one report is built per item (build-dsn.ts), stored as a blob and
 * enqueued like any other message, so it is delivered, retried and expired by the same queue.
 *
 * Guarantees:
 * - Durable when the promise resolves: each report is in the queue (`Queue.enqueue` resolved). The runner settles
 *   only after that, so a crash repeats a report rather than losing one.
 * - A message from the null sender never gets a report (RFC 3461 §6.2, Postfix's double bounce): its needs are
 *   logged at error level (`double bounce`) for the postmaster instead.
 * - Every item is tried even when one fails; the promise then rejects with the first error (the others are logged
 *   as `dsn lost`), after `queued()` was called for the reports that were queued.
 */
import type { Readable } from 'node:stream';
import type { Store } from '../../store/index.js';
import type { MtaLogger } from '../deps.js';
import type { DsnNeed } from '../queue/index.js';
import { buildDsn, type DsnBuildOptions } from './build-dsn.js';
import { DEFAULT_MAX_FULL_BYTES, DEFAULT_MAX_HEADER_BYTES } from './returned-original.js';

/** What the DSN sender needs. */
export interface DsnSenderOptions {
  readonly store: Pick<Store, 'blobs' | 'queue'>;
  /** This server's host name (Reporting-MTA, From: MAILER-DAEMON@host). */
  readonly reportingMta: string;
  readonly now: () => Date;
  readonly log: MtaLogger;
  /** The largest original returned whole (default 50,000 bytes). */
  readonly maxFullBytes?: number;
  /** The queue lifetime, for Will-Retry-Until and the delay text (default 5 days). */
  readonly lifetimeMs?: number;
  /** Minutes east of UTC for the report's dates (default 0). */
  readonly tzOffsetMinutes?: number;
  /** The postmaster's address (default `postmaster@<reportingMta>`): named in the text and in double-bounce lines. */
  readonly postmaster?: string;
  /** Called after reports were queued (the queue runner's `notify`, so they go out at once). */
  readonly queued?: () => void;
}

/**
 * Creates the function that queues the reports `needs` owe (the queue runner's `onDsn`).
 *
 * @example
 * ```ts
 * const onDsn = createDsnSender({ store, reportingMta: 'mx.x.test', now: () => new Date(), log, queued: () => runner.notify() });
 * await onDsn(needs); // the reports are in the queue (as QueueRunnerOptions.onDsn, the runner calls it)
 * ```
 */
export function createDsnSender(o: DsnSenderOptions): (needs: readonly DsnNeed[]) => Promise<void> {
  const maxFullBytes = o.maxFullBytes ?? DEFAULT_MAX_FULL_BYTES;
  const postmaster = o.postmaster ?? `postmaster@${o.reportingMta}`;
  // The report holds at most the original's cap or its header (each possibly quoted-printable: ×3) plus its text.
  const maxBytes = 3 * Math.max(maxFullBytes, DEFAULT_MAX_HEADER_BYTES) + 1024 * 1024;
  return async (needs) => {
    const groups = new Map<string, DsnNeed[]>();
    for (const n of needs) {
      const g = groups.get(n.item.id);
      if (g) g.push(n);
      else groups.set(n.item.id, [n]);
    }
    let queued = 0;
    let failure: unknown;
    let failed = false;
    for (const [queueId, group] of groups) {
      const item = group[0]!.item;
      const kinds = [...new Set(group.map((n) => n.kind))];
      const rcpts = group.map((n) => n.rcpt.address);
      if (item.envelope.from === '') {
        // RFC 3461 §6.2: never a report about a report (or any mail from <>); Postfix's double bounce.
        o.log.error({ queueId, kinds, rcpts, postmaster }, 'double bounce');
        continue;
      }
      try {
        const opts: DsnBuildOptions = {
          reportingMta: o.reportingMta,
          now: o.now(),
          maxFullBytes,
          postmaster,
          ...(o.lifetimeMs !== undefined ? { lifetimeMs: o.lifetimeMs } : {}),
          ...(o.tzOffsetMinutes !== undefined ? { tzOffsetMinutes: o.tzOffsetMinutes } : {}),
        };
        const body = (): Promise<Readable> => o.store.blobs.get(item.body);
        const { envelope, message } = await buildDsn(group, body, opts);
        // The enqueue below is the durable write that refers to the blob: the blob may share its fsync.
        const blob = await o.store.blobs.put(message, { maxBytes, durable: false });
        const dsnId = await o.store.queue.enqueue(envelope, blob);
        queued++;
        o.log.info({ queueId, dsnId, kinds, rcpts, to: item.envelope.from }, 'dsn queued');
      } catch (err) {
        if (!failed) {
          failed = true;
          failure = err;
        } else o.log.error({ err, queueId, kinds, rcpts }, 'dsn lost'); // the caller logs the first one it gets
      }
    }
    if (queued > 0) o.queued?.();
    if (failed) throw failure;
  };
}
