/**
 * Reuse of SMTP connections to a next hop (Postfix's scache / smtp_connection_cache_on_demand): after a
 * transaction, a connection that is still usable waits idle for the next message to the same hop instead of
 * being closed, so a backlog to one destination costs one TCP and TLS handshake and one EHLO, not one per message.
 *
 * Guarantees: a connection is lent to one transaction at a time; an idle one is closed (QUIT) after `idleMs`, and
 * after `maxUses` transactions (Postfix's smtp_connection_reuse_count_limit spirit), so a peer's per-connection
 * limits are respected; `close()` quits every idle connection. A connection that failed is never returned.
 */
import type { SetTimer } from '../deps.js';
import type { SmtpConnection } from '../../smtp/client/index.js';

interface Idle {
  readonly conn: SmtpConnection;
  readonly uses: number;
  readonly cancel: () => void;
}

/** What the cache needs. */
export interface ConnectionCacheOptions {
  /** How long a connection may wait idle (default 2 s; Postfix's smtp_connection_cache_time_limit; 0: no reuse). */
  readonly idleMs?: number;
  /** Transactions per connection before it is closed (default 100). */
  readonly maxUses?: number;
  readonly setTimer: SetTimer;
}

/**
 * Idle connections by hop key.
 *
 * @example
 * ```ts
 * const cache = new ConnectionCache({ setTimer: systemSetTimer });
 * const lent = cache.take('127.0.0.1:25:none') ?? { conn: await connect(o), uses: 0 };
 * await lent.conn.send(env, body);
 * cache.give('127.0.0.1:25:none', lent.conn, lent.uses + 1);
 * ```
 */
export class ConnectionCache {
  readonly #idle = new Map<string, Idle[]>();
  readonly #idleMs: number;
  readonly #maxUses: number;
  readonly #setTimer: SetTimer;
  #closed = false;

  constructor(o: ConnectionCacheOptions) {
    this.#idleMs = o.idleMs ?? 2000;
    this.#maxUses = o.maxUses ?? 100;
    this.#setTimer = o.setTimer;
  }

  /** An idle usable connection to `key`, with its use count, or undefined. */
  take(key: string): { conn: SmtpConnection; uses: number } | undefined {
    const list = this.#idle.get(key);
    while (list && list.length > 0) {
      const idle = list.pop()!;
      idle.cancel();
      if (list.length === 0) this.#idle.delete(key);
      if (idle.conn.usable) return { conn: idle.conn, uses: idle.uses };
      idle.conn.destroy();
    }
    return undefined;
  }

  /**
   * Returns a connection after a transaction: kept idle when usable and under its use limit (and reuse is on),
   * else quit; a connection that failed is closed at once.
   */
  give(key: string, conn: SmtpConnection, uses: number): void {
    if (!conn.usable) {
      conn.destroy();
      return;
    }
    if (this.#closed || uses >= this.#maxUses || this.#idleMs <= 0) {
      void conn.quit();
      return;
    }
    const list = this.#idle.get(key) ?? [];
    const entry: Idle = {
      conn,
      uses,
      cancel: this.#setTimer(() => {
        const l = this.#idle.get(key);
        const i = l?.indexOf(entry) ?? -1;
        if (l && i >= 0) {
          l.splice(i, 1);
          if (l.length === 0) this.#idle.delete(key);
        }
        void conn.quit();
      }, this.#idleMs),
    };
    list.push(entry);
    this.#idle.set(key, list);
  }

  /** How many connections wait idle (tests, status). */
  get size(): number {
    let n = 0;
    for (const l of this.#idle.values()) n += l.length;
    return n;
  }

  /** Quits every idle connection; later `give` calls quit at once. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    for (const i of all) i.cancel();
    await Promise.all(all.map((i) => i.conn.quit()));
  }
}
