/**
 * The queue's per-recipient state machine, shared by every backend so they settle results identically
 * (DESIGN.md §3, STYLE.md §8: outcomes are per recipient).
 *
 * pending ──try──> delivered | failed (final)  or  deferred(retryAt) ──try──> …
 * Guarantees: a final state (delivered, failed) never changes again; a result for an unknown recipient is refused
 * before anything changes; attempts counts every result recorded for a recipient.
 */
import type { QueueItem, QueueRcpt, RcptResult, RcptState } from './store.js';
import { normalizeAddress } from './address.js';

/** True for a state in which the recipient still needs a delivery attempt. */
export function isOpen(state: RcptState): boolean {
  return state === 'pending' || state === 'deferred';
}

/** True when the recipient may be tried at `now`. */
export function isDue(r: QueueRcpt, now: Date): boolean {
  return isOpen(r.state) && r.nextAttempt.getTime() <= now.getTime();
}

/** How `counts()` classes an item: held, else deferred when any recipient was deferred, else pending. */
export function itemClass(item: Pick<QueueItem, 'held' | 'rcpts'>): 'held' | 'deferred' | 'pending' {
  if (item.held) return 'held';
  return item.rcpts.some((r) => r.state === 'deferred') ? 'deferred' : 'pending';
}

function key(address: string): string {
  try {
    return normalizeAddress(address);
  } catch {
    return address;
  }
}

/** The reply text kept for a result (`lastReply`). */
export function replyText(r: RcptResult): string {
  if (r.outcome === 'delivered') return r.reply;
  return [String(r.code), r.enhanced, r.text].filter((s) => s !== undefined && s !== '').join(' ');
}

/**
 * Applies delivery results to the recipients of an item and returns the new list (same order).
 * A deferred result without `retryAt` becomes due at `now`. Throws when a result names no recipient of the item.
 */
export function applyResults(id: string, rcpts: readonly QueueRcpt[], results: readonly RcptResult[], now: Date): QueueRcpt[] {
  const index = new Map<string, number>();
  rcpts.forEach((r, i) => {
    index.set(r.address, i);
    if (!index.has(key(r.address))) index.set(key(r.address), i);
  });
  const out = [...rcpts];
  for (const res of results) {
    const i = index.get(res.rcpt) ?? index.get(key(res.rcpt));
    if (i === undefined) throw new Error(`Queue item ${id} has no recipient ${JSON.stringify(res.rcpt)}`);
    const cur = out[i]!;
    if (!isOpen(cur.state)) continue;
    const base = { ...cur, attempts: cur.attempts + 1, lastReply: replyText(res), lastAttempt: now };
    const remote = res.remoteMta !== undefined ? { remoteMta: res.remoteMta } : {};
    if (res.outcome === 'deferred') {
      const delay = res.delayReported === true || cur.delayReported === true ? { delayReported: true } : {};
      out[i] = { ...base, ...remote, ...delay, state: 'deferred', nextAttempt: res.retryAt ?? now };
    }
    else out[i] = { ...base, ...remote, state: res.outcome };
  }
  return out;
}
