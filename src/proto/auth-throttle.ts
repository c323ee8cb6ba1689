/**
 * Authentication failure throttle, shared by the SMTP and POP3 servers: after `maxFailures` failures from one
 * client key (see client-key.ts) within `windowMs`, that client is locked out until the oldest failure leaves the
 * window. Time comes from an injected clock, so tests need not sleep.
 *
 * Limits: remembers at most `maxClients` keys; past that, the key seen longest ago is forgotten first.
 * Several processes keep one lockout (POP3 worker processes, app/pop3-workers.ts) by sending each other their
 * failures: `publish` sends each failure counted here, `failedElsewhere` counts one received, and `recentFailures()`
 * / `addFailures()` give a process that starts later the failures within the window.
 */
import { clientKey } from './client-key.js';

/** Throttle settings. */
export interface AuthThrottleOptions {
  /** Failures allowed within the window; the next attempt is refused (default 10). */
  readonly maxFailures?: number;
  /** The window in milliseconds (default 15 minutes). */
  readonly windowMs?: number;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** Keys remembered at most (default 100,000). */
  readonly maxClients?: number;
}

/** Counts authentication failures per client in a sliding window. */
export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxClients: number;
  /** Where each failure counted by `fail` is also sent (the other processes' lockouts); none by default. */
  publish: ((ip: string) => void) | null = null;

  constructor(opts: AuthThrottleOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 10;
    this.windowMs = opts.windowMs ?? 15 * 60_000;
    this.now = opts.now ?? Date.now;
    this.maxClients = opts.maxClients ?? 100_000;
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /**
   * Whether `ip` is locked out now.
   *
   * @example
   * ```ts
   * const throttle = new AuthThrottle({ maxFailures: 1 });
   * throttle.fail('192.0.2.1');
   * throttle.locked('192.0.2.1'); // true
   * ```
   */
  locked(ip: string): boolean {
    return this.recent(clientKey(ip)).length >= this.maxFailures;
  }

  /** Records one failure from `ip`, and publishes it. */
  fail(ip: string): void {
    this.record(clientKey(ip), [this.now()]);
    this.publish?.(ip);
  }

  /** Records a failure from `ip` that another process counted (not published again). */
  failedElsewhere(ip: string): void {
    this.record(clientKey(ip), [this.now()]);
  }

  /** The failures within the window, per client key, oldest client first. */
  recentFailures(): [key: string, times: number[]][] {
    return [...this.failures.keys()].flatMap((k) => {
      const list = this.recent(k);
      return list.length > 0 ? [[k, list] as [string, number[]]] : [];
    });
  }

  /** Adds the failures another process's `recentFailures()` gave (a process that starts later). */
  addFailures(entries: readonly (readonly [key: string, times: readonly number[]])[]): void {
    for (const [key, times] of entries) this.record(key, times);
  }

  private record(key: string, times: readonly number[]): void {
    const list = this.recent(key);
    list.push(...times);
    list.sort((a, b) => a - b);
    this.failures.delete(key); // re-insert: Map order is the eviction order
    this.failures.set(key, list.slice(-this.maxFailures));
    if (this.failures.size > this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }
}
