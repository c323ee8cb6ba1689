/**
 * Connection counting for the protocol servers: at most `perClient` connections per client key (see
 * client-key.ts) and `total` connections overall. The server that owns the listener asks before it greets and
 * answers a refused connection with its protocol's "service not available" reply (SMTP 421 4.7.0).
 *
 * Guarantee: a release function releases its slot once, however often it is called.
 */
import { clientKey } from './client-key.js';

/** Connection limits. */
export interface ConnectionLimits {
  readonly perClient: number;
  readonly total: number;
}

/** Counts open connections per client and overall. */
export class ConnectionLimiter {
  private readonly perKey = new Map<string, number>();
  private open = 0;

  constructor(private readonly limits: ConnectionLimits) {}

  /** Open connections. */
  get total(): number {
    return this.open;
  }

  /**
   * Takes a slot for a connection from `ip`; returns the function that gives it back, or null when a limit is
   * reached (nothing is taken then).
   *
   * @example
   * ```ts
   * const limiter = new ConnectionLimiter({ perClient: 1, total: 10 });
   * const release = limiter.acquire('192.0.2.1');  // a function
   * limiter.acquire('192.0.2.1');                  // null: one per client
   * release?.();
   * ```
   */
  acquire(ip: string): (() => void) | null {
    const key = clientKey(ip);
    const n = this.perKey.get(key) ?? 0;
    if (this.open >= this.limits.total || n >= this.limits.perClient) return null;
    this.perKey.set(key, n + 1);
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      const left = (this.perKey.get(key) ?? 1) - 1;
      if (left > 0) this.perKey.set(key, left);
      else this.perKey.delete(key);
    };
  }
}
