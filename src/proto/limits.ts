/**
 * Connection counting for the protocol servers: at most `perClient` connections per client key (see
 * client-key.ts) and `total` connections overall. The server that owns the listener asks before it greets and
 * answers a refused connection with its protocol's "service not available" reply (SMTP 421 4.7.0).
 * Also the check every protocol applies to its configured limits (`resolveLimits`).
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

/** The limits every line protocol has: its command line, and the longer line its reader accepts (AUTH). */
export interface LineLimits {
  readonly maxLineBytes: number;
  readonly maxAuthLineBytes: number;
}

/**
 * A protocol's `defaults` with `partial` applied, frozen. Throws an Error naming the protocol and the key when a
 * value is not a positive integer (0 is allowed for the keys in `zeroAllowed`), or when maxAuthLineBytes is
 * below maxLineBytes.
 *
 * @example
 * ```ts
 * resolveLimits('SMTP', { maxLineBytes: 4096, maxAuthLineBytes: 12_288, minDataRate: 500 }, { minDataRate: 0 }, ['minDataRate']);
 * // { maxLineBytes: 4096, maxAuthLineBytes: 12288, minDataRate: 0 }
 * ```
 */
export function resolveLimits<L extends LineLimits>(protocol: string, defaults: L, partial: Partial<L>, zeroAllowed: readonly (keyof L)[]): L {
  const out: L = { ...defaults, ...partial };
  for (const [key, value] of Object.entries(out)) {
    const zero = (zeroAllowed as readonly string[]).includes(key);
    if (!Number.isSafeInteger(value) || value < 0 || (value === 0 && !zero)) {
      throw new Error(`Invalid ${protocol} limit ${key}: ${String(value)} (expected a ${zero ? 'non-negative' : 'positive'} integer)`);
    }
  }
  if (out.maxAuthLineBytes < out.maxLineBytes) throw new Error(`Invalid ${protocol} limit maxAuthLineBytes: smaller than maxLineBytes`);
  return Object.freeze(out);
}
