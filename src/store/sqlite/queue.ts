/**
 * The durable queue in SQLite: one `queue_items` row per message (envelope, blob, hold flag, lease) and one
 * `queue_rcpts` row per recipient (state, attempts, next attempt, last reply).
 *
 * Guarantees: `enqueue` resolves after the group commit holding it is durable (the SMTP server may then answer
 * 250), and inserts its row only in a job that finds the blob usable (SqliteContext.blobUsable); a claim reads and leases in one transaction, and transactions run one at a time, so two workers never get
 * the same item while its lease is live; settle applies results with ../queue-rules.ts and, when no recipient is
 * left to try, deletes the item and, once that is durable, its blob file.
 * Limits: claims are ordered by the earliest due recipient (ties by queue id, i.e. creation time) and read the
 * `queue_rcpts_due` index only up to the `limit`-th item; one process writes at a time (SQLite).
 */
import type { BlobRef, Envelope, Queue, QueueId, QueueItem, RcptResult } from '../store.js';
import { newQueueId } from '../ids.js';
import { applyResults, isOpen } from '../queue-rules.js';
import type { SqliteContext } from './context.js';
import { envelopeJson, itemLoader, rcptRow, type ItemRow, type RcptRow } from './queue-rows.js';

/** `store.queue` of the SQLite store. */
export class SqliteQueue implements Queue {
  readonly #load;
  readonly #insertItem;
  readonly #insertRcpt;
  readonly #due;
  readonly #lease;

  constructor(private readonly ctx: SqliteContext) {
    this.#load = itemLoader(ctx.db);
    this.#insertItem = ctx.sql<[ItemRow]>(
      `INSERT INTO queue_items (id, envelope, blob_id, blob_size, blob_sha256, created_at, held, lease_owner, lease_until)
       VALUES (@id, @envelope, @blob_id, @blob_size, @blob_sha256, @created_at, @held, @lease_owner, @lease_until)`,
    );
    this.#insertRcpt = ctx.sql<[RcptRow]>(
      `INSERT INTO queue_rcpts (item_id, idx, address, notify, orcpt, state, attempts, next_attempt, last_reply, remote_mta,
         last_attempt, delay_reported)
       VALUES (@item_id, @idx, @address, @notify, @orcpt, @state, @attempts, @next_attempt, @last_reply, @remote_mta,
         @last_attempt, @delay_reported)`,
    );
    // INDEXED BY: the claim must walk queue_rcpts_due (a plan that groups and sorts every recipient costs a
    // full scan per claim); SQLite refuses the statement rather than silently falling back.
    this.#due = ctx.sql<[{ now: number; worker: string }], { id: string }>(
      `SELECT r.item_id AS id
       FROM queue_rcpts r INDEXED BY queue_rcpts_due JOIN queue_items i ON i.id = r.item_id
       WHERE r.state IN ('pending', 'deferred') AND r.next_attempt <= @now AND i.held = 0
         AND (i.lease_until IS NULL OR i.lease_until <= @now OR i.lease_owner = @worker)
       ORDER BY r.next_attempt, r.item_id`,
    );
    this.#lease = ctx.sql<[string, number, string]>('UPDATE queue_items SET lease_owner = ?, lease_until = ? WHERE id = ?');
  }

  async enqueue(env: Envelope, body: BlobRef): Promise<QueueId> {
    if (env.rcpts.length === 0) throw new Error('Cannot enqueue a message without recipients');
    const id = newQueueId();
    const at = env.receivedAt;
    const item: ItemRow = {
      id,
      envelope: envelopeJson(env),
      blob_id: body.id,
      blob_size: body.size,
      blob_sha256: body.sha256,
      created_at: at.getTime(),
      held: 0,
      lease_owner: null,
      lease_until: null,
    };
    const rcpts = env.rcpts.map((r, i) => rcptRow(id, i, { ...r, state: 'pending', attempts: 0, nextAttempt: at }));
    await this.ctx.commit.write(() => {
      if (!this.ctx.blobUsable(body.id)) throw new Error(`Blob not found: ${body.id}`);
      this.#insertItem.run(item);
      for (const r of rcpts) this.#insertRcpt.run(r);
    });
    return id;
  }

  async claim(o: { now: Date; limit: number; leaseMs: number; worker: string }): Promise<QueueItem[]> {
    const now = o.now.getTime();
    const limit = Math.max(0, o.limit);
    return this.ctx.commit.write(() => {
      // Walks the partial index queue_rcpts_due in next_attempt order (ties by item id, which sorts by creation
      // time) and stops at `limit` distinct items: the first row of an item carries its earliest due recipient,
      // so this is the order of MIN(next_attempt) without grouping or sorting the whole table.
      const ids: string[] = [];
      if (limit > 0) {
        const taken = new Set<string>();
        for (const { id } of this.#due.iterate({ now, worker: o.worker })) {
          if (taken.has(id)) continue;
          taken.add(id);
          ids.push(id);
          if (ids.length >= limit) break; // ends the statement (iterate's return resets it)
        }
      }
      return ids.map((id) => {
        this.#lease.run(o.worker, now + o.leaseMs, id);
        return this.#load(id)!;
      });
    });
  }

  async settle(id: QueueId, results: readonly RcptResult[], now: Date): Promise<void> {
    const drop = await this.ctx.commit.write(() => {
      const item = this.#load(id);
      if (!item) return [];
      const rcpts = applyResults(id, item.rcpts, results, now);
      if (!rcpts.some((r) => isOpen(r.state))) {
        this.ctx.sql('DELETE FROM queue_items WHERE id = ?').run(id);
        return this.ctx.unusedBlobs([item.body.id]);
      }
      const update = this.ctx.sql(
        `UPDATE queue_rcpts SET state = @state, attempts = @attempts, next_attempt = @next_attempt,
           last_reply = @last_reply, remote_mta = @remote_mta, last_attempt = @last_attempt,
           delay_reported = @delay_reported WHERE item_id = @item_id AND idx = @idx`,
      );
      rcpts.forEach((r, i) => {
        if (r !== item.rcpts[i]) update.run(rcptRow(id, i, r));
      });
      this.ctx.sql('UPDATE queue_items SET lease_owner = NULL, lease_until = NULL WHERE id = ?').run(id);
      return [];
    });
    await this.ctx.deleteBlobs(drop);
  }

  async get(id: QueueId): Promise<QueueItem | undefined> {
    return this.#load(id);
  }

  async list(): Promise<QueueItem[]> {
    const ids = this.ctx.sql<[], { id: string }>('SELECT id FROM queue_items ORDER BY rowid').all();
    return ids.map(({ id }) => this.#load(id)).filter((i): i is QueueItem => i !== undefined);
  }

  async retryNow(id?: QueueId): Promise<number> {
    const one = id === undefined ? '' : 'AND item_id = ?';
    const args = id === undefined ? [] : [id];
    return this.ctx.commit.write(() => {
      const n = this.ctx.sql<string[], { n: number }>(`SELECT COUNT(DISTINCT item_id) AS n FROM queue_rcpts WHERE state = 'deferred' ${one}`).get(...args)!.n;
      this.ctx
        .sql<string[]>(
          `UPDATE queue_rcpts SET next_attempt = (SELECT created_at FROM queue_items WHERE id = item_id)
           WHERE state = 'deferred' ${one}`,
        )
        .run(...args);
      return n;
    });
  }

  async hold(id: QueueId, held: boolean): Promise<boolean> {
    return this.ctx.commit.write(
      () => this.ctx.sql('UPDATE queue_items SET held = ? WHERE id = ?').run(held ? 1 : 0, id).changes > 0,
    );
  }

  async delete(id: QueueId): Promise<boolean> {
    const res = await this.ctx.commit.write(() => {
      const row = this.ctx.sql<[string], { blob_id: string }>('SELECT blob_id FROM queue_items WHERE id = ?').get(id);
      if (!row) return { found: false, drop: [] as string[] };
      this.ctx.sql('DELETE FROM queue_items WHERE id = ?').run(id);
      return { found: true, drop: this.ctx.unusedBlobs([row.blob_id]) };
    });
    await this.ctx.deleteBlobs(res.drop);
    return res.found;
  }

  async counts(): Promise<{ items: number; pending: number; deferred: number; held: number }> {
    const r = this.ctx
      .sql<[], { items: number; held: number; deferred: number }>(
        `SELECT COUNT(*) AS items, COALESCE(SUM(held), 0) AS held,
           COALESCE(SUM(held = 0 AND EXISTS (SELECT 1 FROM queue_rcpts r WHERE r.item_id = i.id AND r.state = 'deferred')), 0) AS deferred
         FROM queue_items i`,
      )
      .get()!;
    return { items: r.items, pending: r.items - r.held - r.deferred, deferred: r.deferred, held: r.held };
  }
}
