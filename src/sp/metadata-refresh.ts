/**
 * The metadata refresh scheduler: every `tickMs` it refreshes the URL connections whose `nextRefreshAt` has
 * come (connection-service.ts records it from cacheDuration, validUntil and the failure backoff), one at a
 * time. Timers are unref'd, so a scheduler never keeps a process (a CLI run, a test) alive.
 *
 * Several server instances each run one; refreshing twice is harmless (the second finds the same bytes).
 */
import type { ConnectionService, RefreshOutcome, ServiceLogger } from './connection-service.ts';

export interface MetadataRefresherOptions {
  connections: ConnectionService;
  /** How often to look for due connections. Default 60 s. */
  tickMs?: number;
  /** Delay of the first look after start(). Default 5 s (let the server finish starting). */
  initialDelayMs?: number;
  logger?: ServiceLogger;
}

/**
 * Scheduled refresh of metadata URLs.
 *
 * @example
 * ```ts
 * const refresher = new MetadataRefresher({ connections });
 * refresher.start();
 * // on shutdown:
 * await refresher.stop();
 * ```
 */
export class MetadataRefresher {
  readonly #connections: ConnectionService;
  readonly #tickMs: number;
  readonly #initialDelayMs: number;
  readonly #logger: ServiceLogger | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RefreshOutcome[]> | undefined;
  #stopped = true;
  /** Set by stop(): a run in progress ends after the connection it is on. */
  #halt = false;

  constructor(options: MetadataRefresherOptions) {
    this.#connections = options.connections;
    this.#tickMs = options.tickMs ?? 60_000;
    this.#initialDelayMs = options.initialDelayMs ?? 5_000;
    this.#logger = options.logger;
    if (!(this.#tickMs > 0) || !(this.#initialDelayMs >= 0)) {
      throw new TypeError('MetadataRefresher: tickMs must be positive and initialDelayMs non-negative.');
    }
  }

  /** Starts ticking (idempotent). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#halt = false;
    this.#schedule(this.#initialDelayMs);
  }

  /** Stops ticking and waits for a refresh in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halt = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Refreshes every due connection now (what each tick does); resolves with the outcomes. */
  runDue(now?: Date): Promise<RefreshOutcome[]> {
    if (!this.#running) {
      this.#running = this.#runDue(now).finally(() => {
        this.#running = undefined;
      });
    }
    return this.#running;
  }

  async #runDue(now: Date | undefined): Promise<RefreshOutcome[]> {
    const outcomes: RefreshOutcome[] = [];
    for (const connection of await this.#connections.dueForRefresh(now)) {
      if (this.#halt) break;
      try {
        outcomes.push(await this.#connections.refresh(connection.id));
      } catch (err) {
        // Removed or changed meanwhile: the next tick sees the current state.
        this.#logger?.warn('metadata_refresh.skipped', { connectionId: connection.id, error: String(err) });
      }
    }
    return outcomes;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.runDue()
        .catch((err) => this.#logger?.warn('metadata_refresh.failed', { error: String(err) }))
        .finally(() => this.#schedule(this.#tickMs));
    }, delay);
    this.#timer.unref();
  }
}
