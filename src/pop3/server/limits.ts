/**
 * The POP3 server's limits (issue 4 §2; the meaning of each is documented on Pop3Limits in options.ts), with
 * their defaults. The server owns every one of them (STYLE.md §1.3); a backend never checks a size or a count.
 */
import { resolveLimits } from '../../proto/index.js';
import type { Pop3Limits } from './options.js';

export type { Pop3Limits } from './options.js';

/**
 * The defaults: RFC 2449 §4 line length, RFC 1939 §3 ten-minute inactivity timer, issue 4 §2 login delay.
 *
 * @example
 * ```ts
 * defaultPop3Limits.idleTimeoutMs === 600_000;
 * ```
 */
export const defaultPop3Limits: Pop3Limits = Object.freeze({
  maxLineBytes: 255,
  maxAuthLineBytes: 12_288,
  idleTimeoutMs: 600_000,
  sessionTimeoutMs: 3_600_000,
  maxErrors: 20,
  maxConnections: 1000,
  maxConnectionsPerIp: 20,
  authFailureDelayMs: 2000,
  authMaxFailures: 10,
  authWindowMs: 900_000,
});

/**
 * The defaults with `partial` applied; throws when a value is not a positive integer (authFailureDelayMs may be
 * 0) or when maxAuthLineBytes is below maxLineBytes.
 *
 * @example
 * ```ts
 * resolvePop3Limits({ maxErrors: 5 }).maxErrors === 5;
 * ```
 */
export function resolvePop3Limits(partial: Partial<Pop3Limits> = {}): Pop3Limits {
  return resolveLimits('POP3', defaultPop3Limits, partial, ['authFailureDelayMs']);
}
