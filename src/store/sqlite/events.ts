/**
 * The event stores in SQLite (migration 7): webhook endpoints, the outbox (events, one message per endpoint,
 * the attempt log) and the certificate alerts already raised. Every process on the file shares them, and they
 * survive restarts: an event written before a crash is delivered after it.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
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
import { date, optionalText, text } from './database.ts';
import { writeTransaction } from './transaction.ts';

type Row = Record<string, SQLInputValue>;

/**
 * A SQLite {@link WebhookStore}.
 *
 * @example
 * ```ts
 * const webhooks = new SqliteWebhookStore(db);
 * await webhooks.depth(); // pending deliveries
 * ```
 */
export class SqliteWebhookStore implements WebhookStore {
  readonly #db: DatabaseSync;
  readonly #putEndpoint: StatementSync;
  readonly #getEndpoint: StatementSync;
  readonly #listEndpoints: StatementSync;
  readonly #deleteEndpoint: StatementSync;
  readonly #insertEvent: StatementSync;
  readonly #insertMessage: StatementSync;
  readonly #due: StatementSync;
  readonly #insertAttempt: StatementSync;
  readonly #updateMessage: StatementSync;
  readonly #getMessage: StatementSync;
  readonly #listAttempts: StatementSync;
  readonly #redeliver: StatementSync;
  readonly #depth: StatementSync;
  readonly #purgeMessages: StatementSync;
  readonly #purgeEvents: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#putEndpoint = db.prepare(`
      INSERT OR REPLACE INTO webhook_endpoints
        (id, url, secret, description, event_types, enabled, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#getEndpoint = db.prepare('SELECT * FROM webhook_endpoints WHERE id = ?');
    this.#listEndpoints = db.prepare('SELECT * FROM webhook_endpoints ORDER BY created_at, id');
    this.#deleteEndpoint = db.prepare('DELETE FROM webhook_endpoints WHERE id = ?');
    this.#insertEvent = db.prepare(
      'INSERT OR IGNORE INTO webhook_events (id, type, payload, created_at) VALUES (?, ?, ?, ?)',
    );
    this.#insertMessage = db.prepare(`
      INSERT OR IGNORE INTO webhook_messages
        (id, event_id, endpoint_id, ordering_key, status, attempts, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`);
    // The oldest pending message of each (endpoint, key), if it is due; messages without a key are never held.
    this.#due = db.prepare(`
      SELECT m.*, e.type AS event_type, e.payload AS event_payload, e.created_at AS event_created_at
      FROM webhook_messages m JOIN webhook_events e ON e.id = m.event_id
      WHERE m.status = 'pending' AND m.next_attempt_at <= :now
        AND NOT EXISTS (
          SELECT 1 FROM webhook_messages p
          WHERE p.status = 'pending' AND p.endpoint_id = m.endpoint_id
            AND p.ordering_key = m.ordering_key AND p.seq < m.seq)
      ORDER BY m.seq LIMIT :limit`);
    this.#insertAttempt = db.prepare(`
      INSERT INTO webhook_attempts (message_id, attempt, at, status_code, duration_ms, error)
      VALUES (?, ?, ?, ?, ?, ?)`);
    this.#updateMessage = db.prepare(`
      UPDATE webhook_messages SET
        status = :status, attempts = MAX(attempts, :attempt), last_attempt_at = :at,
        last_status_code = :code, last_error = :error,
        next_attempt_at = COALESCE(:next, next_attempt_at)
      WHERE id = :id`);
    this.#getMessage = db.prepare(`
      SELECT m.*, e.type AS event_type FROM webhook_messages m JOIN webhook_events e ON e.id = m.event_id
      WHERE m.id = ?`);
    this.#listAttempts = db.prepare(
      'SELECT * FROM webhook_attempts WHERE message_id = ? ORDER BY at, attempt, rowid',
    );
    this.#redeliver = db.prepare(
      "UPDATE webhook_messages SET status = 'pending', next_attempt_at = ? WHERE id = ?",
    );
    this.#depth = db.prepare("SELECT COUNT(*) AS n FROM webhook_messages WHERE status = 'pending'");
    // Attempts go with their messages (ON DELETE CASCADE).
    this.#purgeMessages = db.prepare(
      "DELETE FROM webhook_messages WHERE status <> 'pending' AND created_at < ?",
    );
    this.#purgeEvents = db.prepare(`
      DELETE FROM webhook_events WHERE created_at < ?
        AND NOT EXISTS (SELECT 1 FROM webhook_messages m WHERE m.event_id = webhook_events.id)`);
  }

  async putEndpoint(e: WebhookEndpointRecord): Promise<void> {
    this.#putEndpoint.run(
      e.id,
      e.url,
      e.secret,
      e.description ?? null,
      JSON.stringify(e.eventTypes),
      e.enabled ? 1 : 0,
      e.createdAt.getTime(),
      e.updatedAt.getTime(),
    );
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const row = this.#getEndpoint.get(id);
    return row ? endpointFrom(row) : undefined;
  }

  async listEndpoints(): Promise<WebhookEndpointRecord[]> {
    return this.#listEndpoints.all().map(endpointFrom);
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    // Messages and attempts go with it (ON DELETE CASCADE).
    return Number(this.#deleteEndpoint.run(id).changes) === 1;
  }

  async enqueue(event: OutboxEvent, endpointIds: readonly string[], orderingKey: string | undefined) {
    if (endpointIds.length === 0) return;
    const at = event.createdAt.getTime();
    this.#transaction(() => {
      this.#insertEvent.run(event.id, event.type, event.payload, at);
      for (const endpointId of endpointIds) {
        this.#insertMessage.run(
          messageIdFor(event.id, endpointId),
          event.id,
          endpointId,
          orderingKey ?? null,
          at,
          at,
        );
      }
    });
  }

  async due(now: Date, limit: number): Promise<DueMessage[]> {
    return this.#due.all({ now: now.getTime(), limit }).map((row) => ({
      message: messageFrom(row),
      event: {
        id: text(row.event_id),
        type: text(row.event_type),
        payload: text(row.event_payload),
        createdAt: date(row.event_created_at),
      },
    }));
  }

  async recordAttempt(attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    this.#transaction(() => {
      this.#insertAttempt.run(
        attempt.messageId,
        attempt.attempt,
        attempt.at.getTime(),
        attempt.statusCode ?? null,
        Math.round(attempt.durationMs),
        attempt.error ?? null,
      );
      this.#updateMessage.run({
        id: attempt.messageId,
        status: outcome.status,
        attempt: attempt.attempt,
        at: attempt.at.getTime(),
        code: attempt.statusCode ?? null,
        error: attempt.error ?? null,
        next: outcome.status === 'pending' ? outcome.nextAttemptAt.getTime() : null,
      });
    });
  }

  async getMessage(id: string): Promise<OutboxMessage | undefined> {
    const row = this.#getMessage.get(id);
    return row ? messageFrom(row) : undefined;
  }

  async listMessages(
    filter: { endpointId?: string; status?: DeliveryStatus; limit?: number } = {},
  ): Promise<OutboxMessage[]> {
    const where: string[] = [];
    const params: Row = { limit: filter.limit ?? 100 };
    if (filter.endpointId !== undefined) {
      where.push('m.endpoint_id = :endpoint');
      params.endpoint = filter.endpointId;
    }
    if (filter.status !== undefined) {
      where.push('m.status = :status');
      params.status = filter.status;
    }
    const sql = `SELECT m.*, e.type AS event_type FROM webhook_messages m JOIN webhook_events e ON e.id = m.event_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.seq DESC LIMIT :limit`;
    return this.#db.prepare(sql).all(params).map(messageFrom);
  }

  async listAttempts(messageId: string): Promise<DeliveryAttempt[]> {
    return this.#listAttempts.all(messageId).map((row) => ({
      messageId: text(row.message_id),
      attempt: Number(row.attempt),
      at: date(row.at),
      ...(row.status_code !== null ? { statusCode: Number(row.status_code) } : {}),
      durationMs: Number(row.duration_ms),
      ...(row.error !== null ? { error: text(row.error) } : {}),
    }));
  }

  async redeliver(messageId: string, now: Date): Promise<boolean> {
    return Number(this.#redeliver.run(now.getTime(), messageId).changes) === 1;
  }

  async depth(): Promise<number> {
    return Number(this.#depth.get()?.n ?? 0);
  }

  async purge(before: Date): Promise<number> {
    let n = 0;
    this.#transaction(() => {
      n = Number(this.#purgeMessages.run(before.getTime()).changes);
      this.#purgeEvents.run(before.getTime());
    });
    return n;
  }

  #transaction(work: () => void): void {
    writeTransaction(this.#db, work);
  }
}

/**
 * A SQLite {@link CertificateAlertStore}: one row per (connection, certificate, threshold).
 *
 * @example
 * ```ts
 * await new SqliteCertificateAlertStore(db).record({ connectionId: 'acme', fingerprintSha256, threshold: '7d' }, new Date());
 * ```
 */
export class SqliteCertificateAlertStore implements CertificateAlertStore {
  readonly #has: StatementSync;
  readonly #record: StatementSync;
  readonly #list: StatementSync;

  constructor(db: DatabaseSync) {
    this.#has = db.prepare(
      'SELECT 1 AS found FROM certificate_alerts WHERE connection_id = ? AND fingerprint = ? AND threshold = ?',
    );
    this.#record = db.prepare(
      'INSERT OR IGNORE INTO certificate_alerts (connection_id, fingerprint, threshold, raised_at) VALUES (?, ?, ?, ?)',
    );
    this.#list = db.prepare('SELECT * FROM certificate_alerts WHERE connection_id = ? ORDER BY raised_at');
  }

  async has(key: CertificateAlertKey): Promise<boolean> {
    return this.#has.get(key.connectionId, key.fingerprintSha256, key.threshold) !== undefined;
  }

  async record(key: CertificateAlertKey, at: Date): Promise<boolean> {
    const { changes } = this.#record.run(
      key.connectionId,
      key.fingerprintSha256,
      key.threshold,
      at.getTime(),
    );
    return Number(changes) === 1;
  }

  async list(connectionId: string): Promise<Array<CertificateAlertKey & { at: Date }>> {
    return this.#list.all(connectionId).map((row) => ({
      connectionId: text(row.connection_id),
      fingerprintSha256: text(row.fingerprint),
      threshold: text(row.threshold),
      at: date(row.raised_at),
    }));
  }
}

function endpointFrom(row: Record<string, unknown>): WebhookEndpointRecord {
  const description = optionalText(row.description);
  return {
    id: text(row.id),
    url: text(row.url),
    secret: text(row.secret),
    ...(description !== undefined ? { description } : {}),
    eventTypes: JSON.parse(text(row.event_types)) as string[],
    enabled: Number(row.enabled) === 1,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

function messageFrom(row: Record<string, unknown>): OutboxMessage {
  const orderingKey = optionalText(row.ordering_key);
  const lastError = optionalText(row.last_error);
  return {
    id: text(row.id),
    eventId: text(row.event_id),
    eventType: text(row.event_type),
    endpointId: text(row.endpoint_id),
    ...(orderingKey !== undefined ? { orderingKey } : {}),
    seq: Number(row.seq),
    status: text(row.status) as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: date(row.next_attempt_at),
    createdAt: date(row.created_at),
    ...(row.last_attempt_at !== null ? { lastAttemptAt: date(row.last_attempt_at) } : {}),
    ...(row.last_status_code !== null ? { lastStatusCode: Number(row.last_status_code) } : {}),
    ...(lastError !== undefined ? { lastError } : {}),
  };
}
