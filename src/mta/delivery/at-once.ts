/**
 * Local delivery at receipt: when every recipient of a message goes to exactly one local mailbox, the copies are
 * written in the same durable step that would have queued the message, before the SMTP server answers 250.
 *
 * QUIRK: STYLE.md §8 says the SMTP server never delivers inline (receive → enqueue → scheduler → agent → settle).
 * This is the one exception, taken for throughput (issue 3 §5: the queue round trip of a local message, a claim,
 * two reads, an append and a settle, was ~40 % of the server's work), and only where it changes nothing a user
 * or an operator can see: the message is in each mailbox exactly as local delivery (local.ts) would have put it
 * there (the same trace fields, a shared body blob, the part index of the stored bytes, an idempotent delivery
 * id), and as durably (Store.appendAll: one commit for every copy, all or none, before the 250). Everything else
 * takes the queue as before: an alias with several targets or a forward, NOTIFY=SUCCESS (its report is the
 * queue's), a recipient in another domain, a body with a bare LF (local.ts writes a CRLF copy), or a mailbox that
 * cannot be opened any more (a user deleted since RCPT). A failed write is a temporary failure (451), exactly as
 * a failed enqueue is.
 *
 * The part index is computed while the body is received: the first copy's trace fields, then the body, go through
 * the tokenizer; the other copies' offsets are shifted by the difference of their trace fields' length (every
 * trace is whole header lines, so the structure the tokenizer sees is the same; the root header starts at 0).
 */
import type { BlobRef, Envelope, EnvelopeRcpt, PartIndex, Store } from '../../store/index.js';
import type { MtaLogger } from '../deps.js';
import type { Expansion, LocalTarget } from './aliases.js';
import { deliveryId } from './local.js';
import { BareLfCheck, PartIndexer } from './stored-body.js';
import { deliveryTrace } from './trace.js';

export interface AtOnceOptions {
  readonly store: Pick<Store, 'mailbox' | 'appendAll'>;
  /** This server's name, for the Received line. */
  readonly hostname: string;
  readonly log: MtaLogger;
  /** Minutes east of UTC for the Received date (default 0). */
  readonly tzOffsetMinutes?: number;
}

/** What data() knows of the message before its body: everything of the envelope but the body's blob. */
export type AtOnceEnvelope = Omit<Envelope, 'rcpts'> & { readonly rcpts: readonly EnvelopeRcpt[] };

/** One message being received for delivery at once: feed it the body, then commit. */
export interface AtOnceDelivery {
  /** Every body chunk, in order, as it is stored. */
  write(chunk: Buffer): void;
  /** Writes the copies (durable when it resolves): true; false when the message must take the queue instead. */
  commit(blob: BlobRef): Promise<boolean>;
}

/** Offsets of an index computed behind a trace of another length. */
function shifted(parts: PartIndex, delta: number): PartIndex {
  if (delta === 0) return parts;
  return parts.map((p) => ({ ...p, header: p.header === 0 ? 0 : p.header + delta, body: p.body + delta, end: p.end + delta }));
}

/**
 * Local delivery at receipt.
 *
 * @example
 * ```ts
 * const atOnce = createAtOnce({ store, hostname: 'mx.example.org', log });
 * const targets = atOnce.targets(rcpts, expansions);           // null: queue it
 * const d = targets && atOnce.begin('Q1', env, targets);
 * for await (const chunk of body) { d?.write(chunk); ... }
 * if (d && (await d.commit(blob))) return 'Ok: queued as Q1';  // else enqueue as usual
 * ```
 */
export function createAtOnce(o: AtOnceOptions) {
  return {
    /**
     * The one mailbox of each recipient, in order, when all of them can be delivered at once; else null: a
     * recipient with no local target, several targets, a forward or an expansion loop, or one asking for a
     * success report (NOTIFY=SUCCESS: the queue sends reports).
     */
    targets(rcpts: readonly EnvelopeRcpt[], expansions: readonly Expansion[]): LocalTarget[] | null {
      if (rcpts.length === 0 || rcpts.length !== expansions.length) return null;
      const out: LocalTarget[] = [];
      for (let i = 0; i < rcpts.length; i++) {
        const e = expansions[i]!;
        if (e.external || e.loop || e.remote.length > 0 || e.unknown.length > 0 || e.local.length !== 1) return null;
        if (rcpts[i]!.notify?.includes('SUCCESS')) return null;
        out.push(e.local[0]!);
      }
      return out;
    },

    /** Starts the delivery of message `id` to `targets` (one per recipient of `env`, as `targets()` gave). */
    begin(id: string, env: AtOnceEnvelope, targets: readonly LocalTarget[]): AtOnceDelivery {
      const traces = env.rcpts.map((r, i) =>
        deliveryTrace(env, {
          queueId: id,
          rcpt: r.address,
          deliveredTo: targets[i]!.address,
          hostname: o.hostname,
          date: env.receivedAt,
          ...(o.tzOffsetMinutes !== undefined ? { tzOffsetMinutes: o.tzOffsetMinutes } : {}),
        }),
      );
      const indexer = new PartIndexer();
      indexer.write(traces[0]!);
      const check = new BareLfCheck();
      let crlf = true;
      return {
        write(chunk) {
          if (!crlf || chunk.length === 0) return;
          // A bare LF: local.ts writes a CRLF copy of such a body, the queue's way.
          crlf = check.push(chunk);
          if (crlf) indexer.write(chunk);
        },
        async commit(blob) {
          if (!crlf) return false;
          const parts = indexer.finish();
          let copies;
          try {
            copies = await Promise.all(
              targets.map(async (t, i) => ({
                mailbox: await o.store.mailbox(t.user.id),
                blob,
                meta: {
                  receivedAt: env.receivedAt,
                  prefix: traces[i]!,
                  parts: shifted(parts, traces[i]!.length - traces[0]!.length),
                  deliveryId: deliveryId(id, t.address),
                },
              })),
            );
          } catch (err) {
            // Nothing was written (a user deleted since RCPT…): the queue decides, and bounces if it must.
            o.log.info({ err: (err as Error).message, queueId: id }, 'delivery at receipt not possible: queued instead');
            return false;
          }
          // A failed write is the client's 451, as a failed enqueue is: the commit may have been kept even so (its
          // fsync failed), and a queued retry under another id could then deliver a second copy.
          await o.store.appendAll(copies);
          for (let i = 0; i < targets.length; i++) {
            o.log.info({ queueId: id, rcpt: env.rcpts[i]!.address, to: targets[i]!.address, status: 'sent' }, 'delivered');
          }
          return true;
        },
      };
    },
  };
}

/** Local delivery at receipt (createAtOnce). */
export type AtOnce = ReturnType<typeof createAtOnce>;
