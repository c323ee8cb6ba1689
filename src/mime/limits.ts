/**
 * Limits of the MIME parser. Each has a default and is configurable per call; past a limit the parser keeps
 * the rest as opaque data and records a problem: it never throws, hangs or takes quadratic time because of one.
 */

/** The parser's limits (STYLE.md §1.3: one owner per limit, and the parser owns these). */
export interface MimeLimits {
  /** Nesting depth of multipart and message/rfc822 entities; deeper entities are kept as opaque leaves. */
  readonly maxDepth: number;
  /** Number of entities (parts) in one message; past it, the rest of the message is kept in the last part. */
  readonly maxParts: number;
  /** Size of one header block in bytes; past it, the rest is kept as the body. */
  readonly maxHeaderBytes: number;
  /** RFC 2231 continuation segments per parameter. */
  readonly maxParamSegments: number;
}

/**
 * Defaults: nesting depth 100, parts 10,000, header block 1 MiB, RFC 2231 segments 1,000.
 *
 * @example
 * ```ts
 * const limits = { ...defaultLimits, maxParts: 500 };
 * ```
 */
export const defaultLimits: MimeLimits = Object.freeze({
  maxDepth: 100,
  maxParts: 10_000,
  maxHeaderBytes: 1024 * 1024,
  maxParamSegments: 1000,
});

/**
 * Fills the limits a caller left out with the defaults.
 *
 * @example
 * ```ts
 * resolveLimits({ maxDepth: 5 }).maxParts === 10_000;
 * ```
 */
export function resolveLimits(partial?: Partial<MimeLimits>): MimeLimits {
  return partial ? { ...defaultLimits, ...partial } : defaultLimits;
}
