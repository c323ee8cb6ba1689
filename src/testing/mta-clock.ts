/**
 * A fake clock for MTA tests (STYLE.md §9: injected clocks, no sleeping): `now()` and a `setTimer` that fire only
 * when the test advances time.
 */

/** Time that moves only when told to. */
export class FakeClock {
  #ms: number;
  #timers: { at: number; seq: number; fn: () => void }[] = [];
  #seq = 0;

  constructor(start: Date | string = '2026-01-15T10:00:00Z') {
    this.#ms = new Date(start).getTime();
  }

  readonly now = (): Date => new Date(this.#ms);

  /** The SetTimer of mta/deps.ts. */
  readonly setTimer = (fn: () => void, ms: number): (() => void) => {
    const t = { at: this.#ms + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.push(t);
    return () => {
      this.#timers = this.#timers.filter((x) => x !== t);
    };
  };

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Fires the earliest timer due by `end` (at its own time); false when none is due. */
  #fireNext(end: number): boolean {
    const next = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
    if (!next) return false;
    this.#timers = this.#timers.filter((t) => t !== next);
    this.#ms = Math.max(this.#ms, next.at);
    next.fn();
    return true;
  }

  /** Moves time forward, firing due timers in order (each sees `now()` at its own due time). */
  advance(ms: number): void {
    const end = this.#ms + ms;
    while (this.#fireNext(end));
    this.#ms = end;
  }

  /**
   * Moves time forward one timer at a time, awaiting `settle()` after each (and at the end), so asynchronous work a
   * timer starts sees the time at which the timer fired and may set new timers within the span.
   */
  async advanceAsync(ms: number, settle: () => Promise<void>): Promise<void> {
    const end = this.#ms + ms;
    do await settle();
    while (this.#fireNext(end));
    this.#ms = end;
  }

  /** Sets the time (forward only), firing timers on the way. */
  set(to: Date | string): void {
    this.advance(Math.max(0, new Date(to).getTime() - this.#ms));
  }
}
