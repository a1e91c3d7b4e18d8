/** In-memory event stores: one process only, lost on restart (tests, `memory:` and library use). */
import {
  type AttemptOutcome,
  type CertificateAlertKey,
  type CertificateAlertStore,
  type DeliveryAttempt,
  type DeliveryStatus,
  type DueMessage,
  messageIdFor,
  type OutboxEvent,
  type OutboxMessage,
  type WebhookEndpointRecord,
  type WebhookStore,
} from '../events.ts';

/**
 * A {@link WebhookStore} in process memory.
 *
 * @example
 * ```ts
 * const webhooks = new MemoryWebhookStore();
 * ```
 */
export class MemoryWebhookStore implements WebhookStore {
  readonly #endpoints = new Map<string, WebhookEndpointRecord>();
  readonly #events = new Map<string, OutboxEvent>();
  readonly #messages = new Map<string, OutboxMessage>();
  readonly #attempts = new Map<string, DeliveryAttempt[]>();
  #seq = 0;

  async putEndpoint(endpoint: WebhookEndpointRecord): Promise<void> {
    this.#endpoints.set(endpoint.id, structuredClone(endpoint));
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const found = this.#endpoints.get(id);
    return found && structuredClone(found);
  }

  async listEndpoints(): Promise<WebhookEndpointRecord[]> {
    return [...this.#endpoints.values()]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((e) => structuredClone(e));
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    if (!this.#endpoints.delete(id)) return false;
    for (const [messageId, message] of this.#messages) {
      if (message.endpointId !== id) continue;
      this.#messages.delete(messageId);
      this.#attempts.delete(messageId);
    }
    return true;
  }

  async enqueue(event: OutboxEvent, endpointIds: readonly string[], orderingKey: string | undefined) {
    if (endpointIds.length === 0) return;
    this.#events.set(event.id, structuredClone(event));
    for (const endpointId of endpointIds) {
      const id = messageIdFor(event.id, endpointId);
      this.#messages.set(id, {
        id,
        eventId: event.id,
        eventType: event.type,
        endpointId,
        ...(orderingKey !== undefined ? { orderingKey } : {}),
        seq: ++this.#seq,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: event.createdAt,
        createdAt: event.createdAt,
      });
    }
  }

  async due(now: Date, limit: number): Promise<DueMessage[]> {
    const pending = [...this.#messages.values()]
      .filter((m) => m.status === 'pending')
      .sort((a, b) => a.seq - b.seq);
    const blocked = new Set<string>();
    const out: DueMessage[] = [];
    for (const message of pending) {
      const key =
        message.orderingKey === undefined ? undefined : `${message.endpointId}\n${message.orderingKey}`;
      if (key !== undefined) {
        if (blocked.has(key)) continue;
        blocked.add(key);
      }
      if (message.nextAttemptAt.getTime() > now.getTime()) continue;
      const event = this.#events.get(message.eventId);
      if (event) out.push({ message: structuredClone(message), event: structuredClone(event) });
      if (out.length >= limit) break;
    }
    return out;
  }

  async recordAttempt(attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    const message = this.#messages.get(attempt.messageId);
    if (!message) return;
    const log = this.#attempts.get(message.id) ?? [];
    log.push(structuredClone(attempt));
    this.#attempts.set(message.id, log);
    message.attempts = Math.max(message.attempts, attempt.attempt);
    message.lastAttemptAt = attempt.at;
    if (attempt.statusCode !== undefined) message.lastStatusCode = attempt.statusCode;
    else delete message.lastStatusCode;
    if (attempt.error !== undefined) message.lastError = attempt.error;
    else delete message.lastError;
    message.status = outcome.status;
    if (outcome.status === 'pending') message.nextAttemptAt = outcome.nextAttemptAt;
  }

  async getMessage(id: string): Promise<OutboxMessage | undefined> {
    const found = this.#messages.get(id);
    return found && structuredClone(found);
  }

  async listMessages(
    filter: { endpointId?: string; status?: DeliveryStatus; limit?: number } = {},
  ): Promise<OutboxMessage[]> {
    return [...this.#messages.values()]
      .filter((m) => filter.endpointId === undefined || m.endpointId === filter.endpointId)
      .filter((m) => filter.status === undefined || m.status === filter.status)
      .sort((a, b) => b.seq - a.seq)
      .slice(0, filter.limit ?? 100)
      .map((m) => structuredClone(m));
  }

  async listAttempts(messageId: string): Promise<DeliveryAttempt[]> {
    return structuredClone(this.#attempts.get(messageId) ?? []);
  }

  async redeliver(messageId: string, now: Date): Promise<boolean> {
    const message = this.#messages.get(messageId);
    if (!message) return false;
    message.status = 'pending';
    message.nextAttemptAt = now;
    return true;
  }

  async depth(): Promise<number> {
    let n = 0;
    for (const m of this.#messages.values()) if (m.status === 'pending') n++;
    return n;
  }

  async purge(before: Date): Promise<number> {
    let n = 0;
    for (const [id, m] of this.#messages) {
      if (m.status === 'pending' || m.createdAt.getTime() >= before.getTime()) continue;
      this.#messages.delete(id);
      this.#attempts.delete(id);
      n++;
    }
    const used = new Set([...this.#messages.values()].map((m) => m.eventId));
    for (const [id, e] of this.#events) {
      if (!used.has(id) && e.createdAt.getTime() < before.getTime()) this.#events.delete(id);
    }
    return n;
  }
}

/**
 * A {@link CertificateAlertStore} in process memory.
 *
 * @example
 * ```ts
 * const alerts = new MemoryCertificateAlertStore();
 * ```
 */
export class MemoryCertificateAlertStore implements CertificateAlertStore {
  readonly #alerts = new Map<string, CertificateAlertKey & { at: Date }>();

  async has(key: CertificateAlertKey): Promise<boolean> {
    return this.#alerts.has(alertId(key));
  }

  async record(key: CertificateAlertKey, at: Date): Promise<boolean> {
    const id = alertId(key);
    if (this.#alerts.has(id)) return false;
    this.#alerts.set(id, { ...key, at });
    return true;
  }

  async list(connectionId: string): Promise<Array<CertificateAlertKey & { at: Date }>> {
    return [...this.#alerts.values()].filter((a) => a.connectionId === connectionId).map((a) => ({ ...a }));
  }
}

function alertId(key: CertificateAlertKey): string {
  return `${key.connectionId}\n${key.fingerprintSha256}\n${key.threshold}`;
}
