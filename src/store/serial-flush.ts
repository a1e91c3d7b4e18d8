/**
 * The flushing half of a write-behind buffer (BufferedConnectionHealth, BufferedTraceStore): one timer while
 * anything waits, one flush at a time, and a final flush at close.
 */
export class SerialFlush {
  readonly #flushNow: () => Promise<void>;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  /** `flushNow` writes what waits and never throws (a failed write stays buffered for the next flush). */
  constructor(flushNow: () => Promise<void>, intervalMs: number) {
    this.#flushNow = flushNow;
    this.#intervalMs = intervalMs;
  }

  /** Arms the timer unless it is armed; unref'd, so an idle process can exit. */
  schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#intervalMs).unref();
  }

  /** Flushes now: a second caller waits for the running flush, then flushes what arrived meanwhile. */
  flush(): Promise<void> {
    const previous = this.#running ?? Promise.resolve();
    const run = previous.then(() => this.#flushNow());
    this.#running = run;
    void run.finally(() => {
      if (this.#running === run) this.#running = undefined;
    });
    return run;
  }

  /** The flush under way, if any (resolves when it has written). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /** Stops the timer and flushes what is left. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
