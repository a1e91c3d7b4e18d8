/**
 * The metadata refresh scheduler: every `tickMs` it refreshes the URL connections whose `nextRefreshAt` has
 * come (connection-service.ts records it from cacheDuration, validUntil and the failure backoff), one at a
 * time. Timers are unref'd, so a scheduler never keeps a process (a CLI run, a test) alive.
 *
 * Several server instances each run one. With `locks` (the server passes the stores' shared lease store),
 * each connection is refreshed once per cycle across all of them: an instance takes the connection's lease,
 * reads the connection again, and refreshes it only if it is still due (another instance may have just done
 * it); the others skip it. The next-due time lives in the connection record, so the schedule survives
 * restarts: a restarted instance refreshes only what is due.
 */
import { randomUUID } from 'node:crypto';
import type { LockStore } from '../store/shared-state.ts';
import {
  type ConnectionService,
  isDueForRefresh,
  type RefreshOutcome,
  type ServiceLogger,
} from './connection-service.ts';
import { PeriodicTask } from './periodic-task.ts';

/** How long one instance may hold a connection's refresh lease: far above a metadata download's timeout. */
export const DEFAULT_REFRESH_LEASE_MS = 5 * 60_000;

export interface MetadataRefresherOptions {
  connections: ConnectionService;
  /** How often to look for due connections. Default 60 s. */
  tickMs?: number;
  /** Delay of the first look after start(). Default 5 s (let the server finish starting). */
  initialDelayMs?: number;
  logger?: ServiceLogger;
  /**
   * Leases shared by every instance (`stores.locks`). Without it each instance refreshes on its own, which
   * is harmless but repeats every download once per instance.
   */
  locks?: LockStore;
  /** This instance's name on the leases. Default: a random UUID. */
  owner?: string;
  /** Lease length. Default {@link DEFAULT_REFRESH_LEASE_MS}. */
  leaseMs?: number;
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
  readonly #logger: ServiceLogger | undefined;
  readonly #locks: LockStore | undefined;
  readonly #owner: string;
  readonly #leaseMs: number;
  /** The schedule; a run in progress ends after the connection it is on once the task is halted. */
  readonly #task: PeriodicTask<RefreshOutcome[]>;

  constructor(options: MetadataRefresherOptions) {
    this.#connections = options.connections;
    this.#logger = options.logger;
    this.#locks = options.locks;
    this.#owner = options.owner ?? randomUUID();
    this.#leaseMs = options.leaseMs ?? DEFAULT_REFRESH_LEASE_MS;
    this.#task = new PeriodicTask({
      name: 'MetadataRefresher',
      tickMs: options.tickMs ?? 60_000,
      initialDelayMs: options.initialDelayMs ?? 5_000,
      job: () => this.#runDue(undefined),
      onError: (err) => this.#logger?.warn('metadata_refresh.failed', { error: String(err) }),
    });
  }

  /** Starts ticking (idempotent). */
  start(): void {
    this.#task.start();
  }

  /** Stops ticking and waits for a refresh in progress. */
  async stop(): Promise<void> {
    await this.#task.stop();
  }

  /** Refreshes every due connection now (what each tick does); resolves with the outcomes. */
  runDue(now?: Date): Promise<RefreshOutcome[]> {
    return this.#task.run(() => this.#runDue(now));
  }

  async #runDue(now: Date | undefined): Promise<RefreshOutcome[]> {
    const outcomes: RefreshOutcome[] = [];
    for (const connection of await this.#connections.dueForRefresh(now)) {
      if (this.#task.halted) break;
      try {
        const outcome = await this.#refreshOnce(connection.id, now);
        if (outcome !== undefined) outcomes.push(outcome);
      } catch (err) {
        // Removed or changed meanwhile: the next tick sees the current state.
        this.#logger?.warn('metadata_refresh.skipped', { connectionId: connection.id, error: String(err) });
      }
    }
    return outcomes;
  }

  /** Refreshes one connection under its lease; undefined when another instance has it or has just done it. */
  async #refreshOnce(id: string, now: Date | undefined): Promise<RefreshOutcome | undefined> {
    if (this.#locks === undefined) return this.#connections.refresh(id);
    const at = now ?? this.#connections.sp.now();
    const lease = `metadata-refresh:${id}`;
    if (!(await this.#locks.acquire(lease, this.#owner, new Date(at.getTime() + this.#leaseMs), at))) {
      this.#logger?.info('metadata_refresh.elsewhere', { connectionId: id });
      return undefined;
    }
    try {
      const current = await this.#connections.sp.stores.connections.get(id);
      if (current === undefined || !isDueForRefresh(current, at)) return undefined;
      return await this.#connections.refresh(id);
    } finally {
      await this.#locks.release(lease, this.#owner).catch(() => false);
    }
  }
}
