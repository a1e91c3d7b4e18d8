/**
 * The webhook delivery worker: every `tickMs` it sends what is due in the outbox, signed as the Standard
 * Webhooks specification says (the `standardwebhooks` reference library signs), and records each attempt.
 *
 * One worker sends per deployment: each pass runs under the `webhook-delivery` lease of the shared LockStore
 * (as the metadata refresher does), so instances on the same database never send one message twice at once.
 * Order per connection comes from the outbox (`WebhookStore.due` offers only the oldest pending message of
 * each endpoint and connection), so a pass may send to several endpoints and connections side by side.
 * Delivery is at least once: a crash after the receiver answered and before the attempt was recorded sends
 * the message again, with the same `webhook-id`, so receivers deduplicate on it.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { PeriodicTask } from '../sp/periodic-task.ts';
import type { DeliveryAttempt, DueMessage, WebhookEndpointRecord, WebhookStore } from '../store/events.ts';
import type { LockStore } from '../store/shared-state.ts';
import { type RetryPolicy, resolveRetryPolicy, retryDelay } from './retry-policy.ts';

export const DELIVERY_LEASE = 'webhook-delivery';

export interface DeliveryLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

export interface WebhookDeliveryOptions {
  store: WebhookStore;
  /** Leases shared by every instance (`stores.locks`); without it, this instance sends on its own. */
  locks?: LockStore;
  owner?: string;
  /** Lease length; far above a pass's longest run. Default 2 min. */
  leaseMs?: number;
  /** How often to look for due messages. Default 1 s. */
  tickMs?: number;
  /** Delay of the first look after start(). Default 1 s. */
  initialDelayMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Whole-request timeout of one delivery. Default 10 s. */
  timeoutMs?: number;
  /** Messages taken per pass. Default 100. */
  batchSize?: number;
  /** How long delivered and given-up messages stay in the delivery log. Default 30 days (purged hourly). */
  retentionMs?: number;
  now?: () => Date;
  random?: () => number;
  fetch?: typeof globalThis.fetch;
  logger?: DeliveryLogger;
  /** Told about every attempt (metrics). Its errors are ignored. */
  onAttempt?: (attempt: DeliveryAttempt & { endpointId: string; eventType: string; outcome: string }) => void;
}

/** What one pass did. */
export interface DeliveryPass {
  /** False when another instance holds the lease. */
  ran: boolean;
  delivered: number;
  retrying: number;
  failed: number;
}

const silent: DeliveryLogger = { info() {}, warn() {} };

/**
 * @example
 * ```ts
 * const worker = new WebhookDeliveryWorker({ store: stores.webhooks, locks: stores.locks });
 * worker.start();
 * // on shutdown:
 * await worker.stop();
 * ```
 */
export class WebhookDeliveryWorker {
  readonly #store: WebhookStore;
  readonly #locks: LockStore | undefined;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #retry: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #batchSize: number;
  readonly #retentionMs: number;
  #lastPurgeAt = Number.NEGATIVE_INFINITY;
  #leaseRenewedAt = 0;
  readonly #now: () => Date;
  readonly #random: () => number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #logger: DeliveryLogger;
  readonly #onAttempt: WebhookDeliveryOptions['onAttempt'];
  /** The schedule; a pass in progress ends after the batch it is on once the task is halted. */
  readonly #task: PeriodicTask<DeliveryPass>;

  constructor(options: WebhookDeliveryOptions) {
    this.#store = options.store;
    this.#locks = options.locks;
    this.#owner = options.owner ?? randomUUID();
    this.#leaseMs = options.leaseMs ?? 120_000;
    this.#retry = resolveRetryPolicy(options.retry);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#batchSize = options.batchSize ?? 100;
    this.#retentionMs = options.retentionMs ?? 30 * 86_400_000;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#logger = options.logger ?? silent;
    this.#onAttempt = options.onAttempt;
    if (!(this.#timeoutMs > 0)) throw new TypeError('WebhookDeliveryWorker: timeoutMs must be positive.');
    this.#task = new PeriodicTask({
      name: 'WebhookDeliveryWorker',
      tickMs: options.tickMs ?? 1_000,
      initialDelayMs: options.initialDelayMs ?? 1_000,
      job: () => this.#runDue(),
      onError: (err) => this.#logger.warn('webhook.pass_failed', { error: String(err) }),
    });
  }

  /** Starts ticking (idempotent). */
  start(): void {
    this.#task.start();
  }

  /** Stops ticking and waits for a pass in progress. */
  async stop(): Promise<void> {
    await this.#task.stop();
  }

  /**
   * Sends what is due now, pass after pass while passes deliver something (so the next message of a
   * connection goes right after the one before it), under the lease.
   */
  runDue(): Promise<DeliveryPass> {
    return this.#task.run();
  }

  async #runDue(): Promise<DeliveryPass> {
    const total: DeliveryPass = { ran: false, delivered: 0, retrying: 0, failed: 0 };
    const started = this.#now();
    // A read first: an idle outbox costs no lease writes (two per tick would contend with sign-ins on SQLite).
    if ((await this.#store.due(started, 1)).length === 0) {
      await this.#purgeNowAndThen();
      return total;
    }
    if (this.#locks) {
      const leased = await this.#locks.acquire(
        DELIVERY_LEASE,
        this.#owner,
        new Date(started.getTime() + this.#leaseMs),
        started,
      );
      if (!leased) return total;
      this.#leaseRenewedAt = started.getTime();
    }
    total.ran = true;
    try {
      const endpoints = new Map<string, Promise<WebhookEndpointRecord | undefined>>();
      for (let pass = 0; pass < 50; pass++) {
        const due = await this.#store.due(this.#now(), this.#batchSize);
        if (due.length === 0) break;
        // One queue per endpoint, sent in order; endpoints side by side.
        const byEndpoint = Map.groupBy(due, (d) => d.message.endpointId);
        const results = await Promise.all(
          [...byEndpoint].map(async ([endpointId, messages]) => {
            if (!endpoints.has(endpointId)) endpoints.set(endpointId, this.#store.getEndpoint(endpointId));
            const endpoint = await endpoints.get(endpointId);
            const outcomes: string[] = [];
            for (const item of messages) {
              // A slow receiver must not outlast the lease: another instance would then send beside us.
              if (!(await this.#keepLease())) break;
              outcomes.push(await this.#deliver(item, endpoint));
            }
            return outcomes;
          }),
        );
        const outcomes = results.flat();
        total.delivered += outcomes.filter((o) => o === 'delivered').length;
        total.retrying += outcomes.filter((o) => o === 'pending').length;
        total.failed += outcomes.filter((o) => o === 'failed').length;
        if (!outcomes.includes('delivered') && !outcomes.includes('failed')) break;
        if (this.#task.halted) break;
      }
      await this.#purgeNowAndThen();
    } finally {
      await this.#locks?.release(DELIVERY_LEASE, this.#owner).catch(() => false);
    }
    return total;
  }

  async #deliver(
    { message, event }: DueMessage,
    endpoint: WebhookEndpointRecord | undefined,
  ): Promise<string> {
    const attemptNo = message.attempts + 1;
    const at = this.#now();
    const t0 = performance.now();
    let statusCode: number | undefined;
    let error: string | undefined;
    if (endpoint === undefined || !endpoint.enabled) {
      error = endpoint === undefined ? 'endpoint removed' : 'endpoint disabled';
    } else {
      try {
        const signer = new Webhook(endpoint.secret);
        const response = await this.#fetch(endpoint.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(this.#timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'saml-sp-kit-webhooks',
            'webhook-id': event.id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(event.id, at, event.payload),
          },
          body: event.payload,
        });
        statusCode = response.status;
        await response.body?.cancel().catch(() => undefined);
        if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
      } catch (cause) {
        error = describeFetchError(cause);
      }
    }
    const durationMs = performance.now() - t0;
    const gaveUp =
      error !== undefined &&
      (endpoint === undefined || !endpoint.enabled || this.#tooOld(message.createdAt, at));
    const outcome =
      error === undefined
        ? ({ status: 'delivered' } as const)
        : gaveUp
          ? ({ status: 'failed' } as const)
          : ({
              status: 'pending',
              nextAttemptAt: new Date(at.getTime() + retryDelay(attemptNo, this.#retry, this.#random)),
            } as const);
    const attempt: DeliveryAttempt = {
      messageId: message.id,
      attempt: attemptNo,
      at,
      ...(statusCode !== undefined ? { statusCode } : {}),
      durationMs,
      ...(error !== undefined ? { error } : {}),
    };
    await this.#store.recordAttempt(attempt, outcome);
    const fields = {
      messageId: message.id,
      eventId: event.id,
      type: event.type,
      endpointId: message.endpointId,
      attempt: attemptNo,
      statusCode,
      durationMs: Math.round(durationMs),
      ...(error !== undefined ? { error } : {}),
      ...(outcome.status === 'pending' ? { nextAttemptAt: outcome.nextAttemptAt.toISOString() } : {}),
    };
    if (outcome.status === 'delivered') this.#logger.info('webhook.delivered', fields);
    else this.#logger.warn(outcome.status === 'failed' ? 'webhook.given_up' : 'webhook.retrying', fields);
    try {
      this.#onAttempt?.({
        ...attempt,
        endpointId: message.endpointId,
        eventType: event.type,
        outcome: outcome.status,
      });
    } catch {
      // Metrics must not change delivery.
    }
    return outcome.status;
  }

  /** Extends the lease when a quarter of it has passed; false when it was lost (stop sending). */
  async #keepLease(): Promise<boolean> {
    if (!this.#locks) return true;
    const now = this.#now();
    if (now.getTime() - this.#leaseRenewedAt < this.#leaseMs / 4) return true;
    const kept = await this.#locks.acquire(
      DELIVERY_LEASE,
      this.#owner,
      new Date(now.getTime() + this.#leaseMs),
      now,
    );
    if (kept) this.#leaseRenewedAt = now.getTime();
    else this.#logger.warn('webhook.lease_lost', { owner: this.#owner });
    return kept;
  }

  /** Keeps the delivery log bounded: finished messages older than the retention go, once an hour. */
  async #purgeNowAndThen(): Promise<void> {
    const now = this.#now().getTime();
    if (now - this.#lastPurgeAt < 3_600_000) return;
    this.#lastPurgeAt = now;
    const purged = await this.#store.purge(new Date(now - this.#retentionMs));
    if (purged > 0) this.#logger.info('webhook.log_purged', { messages: purged });
  }

  #tooOld(createdAt: Date, now: Date): boolean {
    return now.getTime() - createdAt.getTime() >= this.#retry.maxAgeMs;
  }
}

/** A short reason for a failed fetch: the network error code when there is one, never a stack. */
function describeFetchError(cause: unknown): string {
  if (cause instanceof Error) {
    if (cause.name === 'TimeoutError' || cause.name === 'AbortError') return 'timed out';
    const code = (cause.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
    return cause.message.slice(0, 200);
  }
  return String(cause).slice(0, 200);
}
