/**
 * Retry policy for deferred recipients (STYLE.md §8, Postfix's minimal_backoff_time / maximal_backoff_time /
 * maximal_queue_lifetime).
 *
 * - The delay before attempt n+1 after the n-th failure is `min(maxMs, minMs * 2 ** (n - 1))` plus a jitter of
 *   up to `jitter` × that delay (default 0.1), taken from the injected random source, so that many messages
 *   deferred together do not retry together.
 * - A recipient never waits past its message's lifetime (`createdAt + lifetimeMs`): the last retry is placed at
 *   the deadline, and a temporary failure at or after the deadline becomes a permanent one (`554 5.4.7`, RFC 3463
 *   "delivery time expired"), keeping the last reply in the text.
 * Defaults: 300 s, 4,000 s, 5 days (Postfix).
 */
import type { RcptResult } from '../../store/index.js';

/** The retry policy. */
export interface BackoffPolicy {
  readonly minMs: number;
  readonly maxMs: number;
  readonly lifetimeMs: number;
  /** Fraction of the delay added at random (0 disables jitter). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { minMs: 300_000, maxMs: 4_000_000, lifetimeMs: 5 * 86_400_000, jitter: 0.1 };

/**
 * The policy with defaults filled in; throws on nonsense (negative or inverted bounds).
 *
 * @example
 * ```ts
 * resolveBackoff({ minMs: 60_000 }).maxMs === 4_000_000;
 * ```
 */
export function resolveBackoff(p?: Partial<BackoffPolicy>): BackoffPolicy {
  const r = { ...DEFAULT_BACKOFF, ...p };
  if (!(r.minMs > 0) || !(r.maxMs >= r.minMs) || !(r.lifetimeMs > 0) || !(r.jitter >= 0)) {
    throw new Error(`Cannot use backoff policy: expected 0 < minMs <= maxMs, lifetimeMs > 0, jitter >= 0, got ${JSON.stringify(r)}`);
  }
  return r;
}

/**
 * The delay after the `attempt`-th failed attempt (1-based), jitter included; `random` returns [0, 1).
 *
 * @example
 * ```ts
 * const p = resolveBackoff({ jitter: 0 });
 * [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, p, () => 0)); // 300 s, 600 s, 1200 s, 2400 s, 4000 s, 4000 s
 * ```
 */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2 ** (n - 1) overflows to Infinity long after it passed maxMs; Math.min keeps it finite.
  const base = Math.min(p.maxMs, p.minMs * 2 ** (n - 1));
  return base + Math.floor(base * p.jitter * Math.min(Math.max(random(), 0), 1));
}

/**
 * Turns an agent's result into what the queue records: a deferral gets its `retryAt` (clamped to the lifetime
 * deadline) or, at or past the deadline, becomes a failure. Other outcomes pass unchanged.
 *
 * @example
 * ```ts
 * const r = scheduleRetry(deferred, { attempt: 1, createdAt, now, policy, random: () => 0 });
 * r.outcome === 'deferred' && r.retryAt; // now + 5 min
 * ```
 */
export function scheduleRetry(
  result: RcptResult,
  o: { attempt: number; createdAt: Date; now: Date; policy: BackoffPolicy; random: () => number },
): RcptResult {
  if (result.outcome !== 'deferred') return result;
  const deadline = o.createdAt.getTime() + o.policy.lifetimeMs;
  const now = o.now.getTime();
  if (now >= deadline) {
    const life = o.policy.lifetimeMs;
    // Postfix says days; a short test lifetime is said in hours, minutes or seconds rather than "0 days".
    const [n, unit] = life >= 86_400_000 ? [life / 86_400_000, 'day'] : life >= 3_600_000 ? [life / 3_600_000, 'hour'] : life >= 60_000 ? [life / 60_000, 'minute'] : [life / 1000, 'second'];
    const count = Math.round(n * 10) / 10;
    const days = `${count} ${unit}${count === 1 ? '' : 's'}`;
    const { retryAt: _ignored, ...rest } = result;
    return {
      ...rest,
      outcome: 'failed',
      code: 554,
      enhanced: '5.4.7',
      text: `Message expired after ${days} in the queue: ${result.code} ${result.enhanced ? `${result.enhanced} ` : ''}${result.text}`,
    };
  }
  const at = Math.min(deadline, now + backoffDelay(o.attempt, o.policy, o.random));
  return { ...result, retryAt: new Date(at) };
}
