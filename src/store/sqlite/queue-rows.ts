/**
 * Mapping between queue objects and the rows of `queue_items` / `queue_rcpts`. The envelope is stored as JSON
 * without its recipients (those are rows, with their state); dates are milliseconds.
 */
import type Database from 'better-sqlite3';
import type { Envelope, EnvelopeRcpt, Notify, QueueItem, QueueRcpt, RcptState } from '../store.js';

/** A `queue_items` row. */
export interface ItemRow {
  id: string;
  envelope: string;
  blob_id: string;
  blob_size: number;
  blob_sha256: string;
  created_at: number;
  held: number;
  lease_owner: string | null;
  lease_until: number | null;
}

/** A `queue_rcpts` row. */
export interface RcptRow {
  item_id: string;
  idx: number;
  address: string;
  notify: string | null;
  orcpt: string | null;
  state: RcptState;
  attempts: number;
  next_attempt: number;
  last_reply: string | null;
  remote_mta: string | null;
  last_attempt: number | null;
  delay_reported: number;
}

type StoredEnvelope = Omit<Envelope, 'rcpts' | 'receivedAt'> & { receivedAt: number };

/** The envelope column: everything but the recipients. */
export function envelopeJson(env: Envelope): string {
  const { rcpts: _rcpts, receivedAt, ...rest } = env;
  const stored: StoredEnvelope = { ...rest, receivedAt: receivedAt.getTime() };
  return JSON.stringify(stored);
}

function envelopeRcpt(r: RcptRow): EnvelopeRcpt {
  return {
    address: r.address,
    ...(r.notify !== null ? { notify: JSON.parse(r.notify) as Notify[] } : {}),
    ...(r.orcpt !== null ? { orcpt: r.orcpt } : {}),
  };
}

function queueRcpt(r: RcptRow): QueueRcpt {
  return {
    ...envelopeRcpt(r),
    state: r.state,
    attempts: r.attempts,
    nextAttempt: new Date(r.next_attempt),
    ...(r.last_reply !== null ? { lastReply: r.last_reply } : {}),
    ...(r.remote_mta !== null ? { remoteMta: r.remote_mta } : {}),
    ...(r.last_attempt !== null ? { lastAttempt: new Date(r.last_attempt) } : {}),
    ...(r.delay_reported !== 0 ? { delayReported: true } : {}),
  };
}

/** A row for a recipient. */
export function rcptRow(itemId: string, idx: number, r: QueueRcpt): RcptRow {
  return {
    item_id: itemId,
    idx,
    address: r.address,
    notify: r.notify ? JSON.stringify(r.notify) : null,
    orcpt: r.orcpt ?? null,
    state: r.state,
    attempts: r.attempts,
    next_attempt: r.nextAttempt.getTime(),
    last_reply: r.lastReply ?? null,
    remote_mta: r.remoteMta ?? null,
    last_attempt: r.lastAttempt?.getTime() ?? null,
    delay_reported: r.delayReported === true ? 1 : 0,
  };
}

/** The item as the Queue interface returns it. */
export function toItem(row: ItemRow, rcpts: readonly RcptRow[]): QueueItem {
  const stored = JSON.parse(row.envelope) as StoredEnvelope;
  const envelope: Envelope = { ...stored, receivedAt: new Date(stored.receivedAt), rcpts: rcpts.map(envelopeRcpt) };
  return {
    id: row.id,
    envelope,
    body: { id: row.blob_id, size: row.blob_size, sha256: row.blob_sha256 },
    rcpts: rcpts.map(queueRcpt),
    createdAt: new Date(row.created_at),
    held: row.held !== 0,
  };
}

/** Prepared statements for loading items. */
export function itemLoader(db: Database.Database): (id: string) => QueueItem | undefined {
  const item = db.prepare<[string], ItemRow>('SELECT * FROM queue_items WHERE id = ?');
  const rcpts = db.prepare<[string], RcptRow>('SELECT * FROM queue_rcpts WHERE item_id = ? ORDER BY idx');
  return (id) => {
    const row = item.get(id);
    return row && toItem(row, rcpts.all(id));
  };
}
