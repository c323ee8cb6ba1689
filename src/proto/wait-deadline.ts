/**
 * One timer for a stream of waits, each with its own time limit (LineReader: every command line, body read and
 * parked wait of a connection).
 *
 * Guarantees:
 * - `expire` is called once per deadline that passes while the deadline is set, never before it (Node's timers
 *   may fire early by up to a millisecond: the timer then arms itself again for what is left).
 * - Moving the deadline later (`start`, `push`) costs no timer operation: answering a command that arrives
 *   before the limit sets one number. Only a deadline earlier than the armed timer re-arms it.
 * - `clear()` stops it: no `expire` until the next `start`.
 * The timer is left armed after a wait ends (`clear` is for the end of the stream): a new wait then reuses it, and
 * a timer that fires with no wait going on (`isWaiting()` false) stops there.
 */

/** A deadline for the current wait, kept by one timer. */
export class WaitDeadline {
  #deadline = Infinity;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;

  /**
   * @param isWaiting whether a wait is going on (a timer that fires otherwise does nothing)
   * @param expire called when the deadline passes during a wait
   *
   * @example
   * ```ts
   * const limit = new WaitDeadline(() => waiter !== null, () => waiter!.reject(new ReadTimeoutError('idle')));
   * limit.start(300_000); // a command line within 5 minutes
   * ```
   */
  constructor(
    private readonly isWaiting: () => boolean,
    private readonly expire: () => void,
  ) {}

  /** Starts a wait of at most `ms` (a negative `ms` is 0). */
  start(ms: number): void {
    this.#deadline = performance.now() + Math.max(0, ms);
    if (this.#timer === null || this.#timerAt > this.#deadline) this.#arm(this.#deadline);
  }

  /** Moves the current wait's deadline to `ms` from now, without touching the timer (it re-arms when it fires). */
  push(ms: number): void {
    this.#deadline = performance.now() + Math.max(0, ms);
  }

  /** Stops the timer; nothing expires until the next `start`. */
  clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
    this.#deadline = Infinity;
  }

  #arm(at: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, at - performance.now()));
  }

  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#timerAt = Infinity;
    if (!this.isWaiting()) return;
    if (performance.now() < this.#deadline) return this.#arm(this.#deadline);
    this.expire();
  };
}
