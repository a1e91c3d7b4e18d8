/**
 * The certificate watch: once a day (and at start) it raises `certificate.expiring_30d`, `_7d`, `_1d` and
 * `certificate.expired` for each IdP signing certificate that crossed a threshold, exactly once per
 * certificate and threshold: what was raised is recorded in the CertificateAlertStore, which survives
 * restarts and is shared by every instance. Only the tightest threshold crossed is raised (a certificate
 * first seen 6 days before its expiry raises the 7-day event, not the 30-day one as well).
 *
 * One instance checks per deployment (the `certificate-watch` lease of the shared LockStore); the event is
 * emitted before the alert is recorded, so a crash in between repeats an alert rather than losing it.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from '../core/types.ts';
import { PeriodicTask } from '../sp/periodic-task.ts';
import type { CertificateAlertStore } from '../store/events.ts';
import type { LockStore } from '../store/shared-state.ts';
import type { EventBus } from './bus.ts';
import { type CertificateWarning, certificateWarnings } from './certificate-expiry.ts';

export const CERTIFICATE_WATCH_LEASE = 'certificate-watch';

export interface CertificateWatchOptions {
  /** The connections to check (the server passes `() => stores.connections.list()`). */
  connections: () => Promise<Connection[]>;
  alerts: CertificateAlertStore;
  events: EventBus;
  locks?: LockStore;
  owner?: string;
  /** How often to check. Default 24 h. */
  intervalMs?: number;
  /** Delay of the first check after start(). Default 10 s. */
  initialDelayMs?: number;
  now?: () => Date;
  logger?: { warn(event: string, fields?: Record<string, unknown>): void };
}

/**
 * @example
 * ```ts
 * const watch = new CertificateWatch({ connections: () => stores.connections.list(), alerts, events: sp.events });
 * await watch.runDue(); // the alerts raised now
 * ```
 */
export class CertificateWatch {
  readonly #connections: () => Promise<Connection[]>;
  readonly #alerts: CertificateAlertStore;
  readonly #events: EventBus;
  readonly #locks: LockStore | undefined;
  readonly #owner: string;
  readonly #now: () => Date;
  readonly #logger: CertificateWatchOptions['logger'];
  readonly #task: PeriodicTask<CertificateWarning[]>;

  constructor(options: CertificateWatchOptions) {
    this.#connections = options.connections;
    this.#alerts = options.alerts;
    this.#events = options.events;
    this.#locks = options.locks;
    this.#owner = options.owner ?? randomUUID();
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger;
    this.#task = new PeriodicTask({
      name: 'CertificateWatch',
      tickMs: options.intervalMs ?? 24 * 3_600_000,
      initialDelayMs: options.initialDelayMs ?? 10_000,
      job: () => this.#check(this.#now()),
      onError: (err) => this.#logger?.warn('certificate_watch.failed', { error: String(err) }),
    });
  }

  start(): void {
    this.#task.start();
  }

  async stop(): Promise<void> {
    await this.#task.stop();
  }

  /** Checks every connection now (what each daily tick does); resolves with the alerts raised by this run. */
  runDue(now?: Date): Promise<CertificateWarning[]> {
    return this.#task.run(() => this.#check(now ?? this.#now()));
  }

  async #check(now: Date): Promise<CertificateWarning[]> {
    if (this.#locks) {
      const until = new Date(now.getTime() + 10 * 60_000);
      if (!(await this.#locks.acquire(CERTIFICATE_WATCH_LEASE, this.#owner, until, now))) return [];
    }
    try {
      const raised: CertificateWarning[] = [];
      for (const warning of certificateWarnings(await this.#connections(), now)) {
        const key = {
          connectionId: warning.connectionId,
          fingerprintSha256: warning.fingerprintSha256,
          threshold: warning.threshold,
        };
        if (await this.#alerts.has(key)) continue;
        await this.#events.emit(warning.eventType, {
          connectionId: warning.connectionId,
          fingerprintSha256: warning.fingerprintSha256,
          subject: warning.subject,
          notAfter: warning.notAfter,
          daysLeft: warning.daysLeft,
        });
        await this.#alerts.record(key, now);
        raised.push(warning);
      }
      return raised;
    } finally {
      await this.#locks?.release(CERTIFICATE_WATCH_LEASE, this.#owner).catch(() => false);
    }
  }
}
