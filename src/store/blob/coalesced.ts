/**
 * Coalesces concurrent requests for an idempotent asynchronous operation (an fsync): every caller is answered by
 * one run of the operation that started after it asked, and at most one run is in flight, plus one waiting.
 * This is what makes N renames into one directory cost about one directory fsync instead of N.
 */
export class Coalesced {
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  constructor(private readonly op: () => Promise<void>) {}

  /**
   * Resolves after a run of the operation that began after this call.
   * @example
   * const dirSync = new Coalesced(() => fsyncDir('/data/blobs/ab'));
   * await Promise.all([dirSync.request(), dirSync.request()]); // one or two fsyncs, never more
   */
  request(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#running) return this.#start();
    const next = this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = null;
        return this.#start();
      });
    this.#next = next;
    return next;
  }

  #start(): Promise<void> {
    const run: Promise<void> = this.op().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }
}
