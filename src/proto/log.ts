/**
 * The logger shape the protocol servers write to: a subset of pino's API, so a pino logger (or a child with
 * bindings) can be passed as it is. Protocol code never creates a logger of its own (STYLE.md §10: no
 * module-level loggers); without one, nothing is logged.
 */

/** A pino-compatible logger: an object of fields first, then an optional message. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * A logger that drops everything.
 *
 * @example
 * ```ts
 * silentLogger.info({ conn: 'a1' }, 'Connected'); // no output
 * ```
 */
export const silentLogger: Logger = Object.freeze({
  info: () => {},
  warn: () => {},
  error: () => {},
});
