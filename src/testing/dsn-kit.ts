/**
 * Helpers for the DSN tests (test code only, not exported by index.ts): a queued original in a MemoryStore,
 * needs for its recipients, and a report read back with our MIME reader.
 */
import { Readable } from 'node:stream';
import { parseMessageBuffer, readReport, type ParsedMessage, type Report } from '../mime/index.js';
import { MemoryStore, type Envelope, type EnvelopeRcpt, type QueueItem, type RcptResult } from '../store/index.js';
import { readAll } from '../store/contract-kit.js';
import type { DsnNeed } from '../mta/index.js';

/** When the original arrived. */
export const ARRIVED = new Date('2026-03-01T08:00:00Z');
/** When the report is made: 4 hours and a bit later. */
export const NOW = new Date('2026-03-01T12:30:00Z');

/** A small original message. */
export function original(o: { subject?: string; body?: string } = {}): string {
  return `From: Ann <ann@x.test>\r\nTo: bob@y.test\r\nSubject: ${o.subject ?? 'Quarterly report'}\r\nMessage-ID: <orig.1@x.test>\r\nDate: Sun, 01 Mar 2026 08:00:00 +0000\r\n\r\n${o.body ?? 'Hello Bob.\r\n'}`;
}

/** A queued original: the store, the item as the queue holds it, and its body opener. */
export interface Queued {
  readonly store: MemoryStore;
  readonly item: QueueItem;
  readonly body: () => Promise<Readable>;
}

/** Queues `message` with an envelope from `from` to `rcpts` (plus envelope overrides) in a new MemoryStore. */
export async function queued(
  o: { from?: string; rcpts?: readonly (string | EnvelopeRcpt)[]; message?: string | Buffer; env?: Partial<Envelope>; store?: MemoryStore } = {},
): Promise<Queued> {
  const store = o.store ?? new MemoryStore();
  const message = o.message ?? original();
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const blob = await store.blobs.put(Readable.from([bytes]), { maxBytes: 1 << 26 });
  const env: Envelope = {
    from: o.from ?? 'ann@x.test',
    rcpts: (o.rcpts ?? ['bob@y.test']).map((r) => (typeof r === 'string' ? { address: r } : r)),
    smtputf8: false,
    body: '7BIT',
    receivedAt: ARRIVED,
    client: { helo: 'client.x.test', ip: '198.51.100.7', tls: true, protocol: 'ESMTPS' },
    ...o.env,
  };
  const id = await store.queue.enqueue(env, blob);
  const item = (await store.queue.get(id))!;
  return { store, item, body: () => store.blobs.get(item.body) };
}

/** A need for one recipient of `item`. */
export function need(item: QueueItem, kind: DsnNeed['kind'], result: RcptResult): DsnNeed {
  const rcpt = item.rcpts.find((r) => r.address === result.rcpt);
  if (!rcpt) throw new Error(`Test item has no recipient ${result.rcpt}`);
  return { kind, item, rcpt, result };
}

/** A failure or deferral result. */
export type FailResult = Extract<RcptResult, { outcome: 'failed' | 'deferred' }>;

export const userUnknown = (rcpt: string, remoteMta?: string): FailResult => ({
  rcpt,
  outcome: 'failed',
  code: 550,
  enhanced: '5.1.1',
  text: 'User unknown',
  ...(remoteMta !== undefined ? { remoteMta } : {}),
});
export const tryLater = (rcpt: string): FailResult => ({
  rcpt,
  outcome: 'deferred',
  code: 451,
  enhanced: '4.4.1',
  text: 'Connection timed out',
  remoteMta: 'mx.y.test[192.0.2.1]',
  retryAt: new Date(NOW.getTime() + 600_000),
});
export const accepted = (rcpt: string, remoteMta?: string): RcptResult => ({
  rcpt,
  outcome: 'delivered',
  reply: '250 2.0.0 Ok: queued as 4XyZ',
  ...(remoteMta !== undefined ? { remoteMta } : {}),
});

/** A report read back: the raw bytes, our parse, and our report reader's view. */
export interface ReadBack {
  readonly raw: Buffer;
  readonly parsed: ParsedMessage;
  readonly report: Report;
}

/** Reads a built report into memory and parses it with our reader (throws when it is not a report). */
export async function readBack(message: Readable | Buffer): Promise<ReadBack> {
  const raw = Buffer.isBuffer(message) ? message : await readAll(message);
  const parsed = parseMessageBuffer(raw);
  const report = readReport(parsed);
  if (report === undefined) throw new Error('Not a multipart/report');
  return { raw, parsed, report };
}

/** The first value of a header field of the top-level message. */
export function headerOf(p: ParsedMessage, name: string): string | undefined {
  return p.header.get(name);
}
