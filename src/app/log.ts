/**
 * Structured logs: JSON lines written by pino to standard error (standard output carries the human start-up
 * banner). Components get child loggers with their own bindings (`{ svc: 'smtp' }`), and every line about a
 * connection carries its id (`conn`), so `grep '"conn":"c1f3"'` follows one session.
 *
 * Guarantees: writes are synchronous (no worker thread), so the last lines before exit are not lost and no
 * handle keeps the process alive after shutdown. The level comes from `log_level` / `--log-level`.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/**
 * Creates the root logger.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info' });
 * log.child({ conn: 'c1' }).info({ remote: '192.0.2.1' }, 'connected');
 * ```
 */
export function createLogger(o: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: o.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    o.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
