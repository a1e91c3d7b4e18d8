/**
 * The scaffolding of a background job that runs now and then: the metadata refresher, the webhook delivery
 * worker and the certificate watch each hold one.
 *
 * - A run starts `initialDelayMs` after start() (let the server finish starting), then `tickMs` after the end of
 *   the previous run, so a slow run never overlaps the next one and never queues up missed ticks.
 * - Never two runs at once: run() while one is in progress returns that run (an admin's "refresh now" joins the
 *   scheduled one instead of doubling its downloads).
 * - stop() cancels the timer, sets `halted` (a long run checks it between items and ends early), and waits for
 *   the run in progress, so a shutdown leaves no job writing to a closed store.
 * - Timers are unref'd: a scheduled job never keeps a process (a CLI run, a test) alive on its own.
 */
export interface PeriodicTaskOptions<T> {
  /** Pause between the end of one run and the start of the next, in ms; positive. */
  tickMs: number;
  /** Delay of the first run after start(), in ms; zero or more. */
  initialDelayMs: number;
  /** What a scheduled run does. */
  job: () => Promise<T>;
  /** Told when a scheduled run fails; the schedule goes on. */
  onError: (err: unknown) => void;
  /** Names the owner in the option error ("MetadataRefresher"). */
  name: string;
}

/**
 * One job on a timer.
 *
 * @example
 * ```ts
 * const task = new PeriodicTask({ name: 'Sweeper', tickMs: 60_000, initialDelayMs: 5_000,
 *   job: () => sweep(), onError: (err) => logger.warn('sweep.failed', { error: String(err) }) });
 * task.start();
 * await task.stop();
 * ```
 */
export class PeriodicTask<T> {
  readonly #options: PeriodicTaskOptions<T>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<T> | undefined;
  #stopped = true;
  #halted = false;

  constructor(options: PeriodicTaskOptions<T>) {
    if (!(options.tickMs > 0) || !(options.initialDelayMs >= 0)) {
      throw new TypeError(`${options.name}: the interval must be positive and initialDelayMs non-negative.`);
    }
    this.#options = options;
  }

  /** True from stop() until the next start(): a run in progress ends after the item it is on. */
  get halted(): boolean {
    return this.#halted;
  }

  /** Starts the schedule (idempotent). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#halted = false;
    this.#schedule(this.#options.initialDelayMs);
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halted = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Runs `job` (default: the scheduled job) now, or returns the run in progress if there is one. */
  run(job: () => Promise<T> = this.#options.job): Promise<T> {
    this.#running ??= job().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.run()
        .catch(this.#options.onError)
        .finally(() => this.#schedule(this.#options.tickMs));
    }, delay);
    this.#timer.unref();
  }
}
