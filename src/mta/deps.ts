/**
 * What every part of the MTA receives from its caller instead of reaching for globals (STYLE.md §8: time,
 * randomness, resolver and logger are injected; `mta/` has no module-level singletons).
 *
 * The logger shape is pino's (`log.info({ fields }, 'message')`), so `app/` passes its pino child logger as is and
 * tests pass a recording fake.
 */

/** A structured logger: pino's calling convention, fields first. */
export interface MtaLogger {
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
}

/** Runs `fn` once after `ms` milliseconds; returns a function that cancels it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

/**
 * The real timer, for `app/` wiring: an unref'd `setTimeout`, so a pending retry never keeps the process alive.
 *
 * @example
 * ```ts
 * const cancel = systemSetTimer(() => console.log('due'), 1000);
 * cancel();
 * ```
 */
export const systemSetTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/**
 * A logger that drops everything (for callers that do not care, e.g. one-shot tools).
 *
 * @example
 * ```ts
 * silentLogger().info({ id: 'x' }, 'queued');
 * ```
 */
export function silentLogger(): MtaLogger {
  const drop = (): void => {};
  return { info: drop, warn: drop, error: drop };
}
