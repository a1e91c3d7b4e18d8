/**
 * The event stores in PostgreSQL (migration 7), shared by every instance on the database: webhook endpoints,
 * the outbox (events, one message per endpoint, the attempt log) and the certificate alerts already raised.
 */
import type { Pool } from 'pg';
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

interface EndpointRow {
  id: string;
  url: string;
  secret: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

interface MessageRow {
  seq: string;
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  ordering_key: string | null;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
}

const MESSAGE_COLUMNS = 'm.*, e.type AS event_type';

/**
 * A PostgreSQL {@link WebhookStore}.
 *
 * @example
 * ```ts
 * const webhooks = new PostgresWebhookStore(pool);
 * await webhooks.depth();
 * ```
 */
export class PostgresWebhookStore implements WebhookStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async putEndpoint(e: WebhookEndpointRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO webhook_endpoints (id, url, secret, description, event_types, enabled, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, secret = excluded.secret,
         description = excluded.description, event_types = excluded.event_types, enabled = excluded.enabled,
         created_at = excluded.created_at, updated_at = excluded.updated_at`,
      [
        e.id,
        e.url,
        e.secret,
        e.description ?? null,
        JSON.stringify(e.eventTypes),
        e.enabled,
        e.createdAt,
        e.updatedAt,
      ],
    );
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined> {
    const { rows } = await this.#pool.query<EndpointRow>('SELECT * FROM webhook_endpoints WHERE id = $1', [
      id,
    ]);
    return rows[0] ? endpointFrom(rows[0]) : undefined;
  }

  async listEndpoints(): Promise<WebhookEndpointRecord[]> {
    const { rows } = await this.#pool.query<EndpointRow>(
      'SELECT * FROM webhook_endpoints ORDER BY created_at, id',
    );
    return rows.map(endpointFrom);
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
    return rowCount === 1;
  }

  async enqueue(event: OutboxEvent, endpointIds: readonly string[], orderingKey: string | undefined) {
    if (endpointIds.length === 0) return;
    // One statement, so one transaction: the event and its messages are written together or not at all.
    await this.#pool.query(
      `WITH ev AS (
         INSERT INTO webhook_events (id, type, payload, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING
       )
       INSERT INTO webhook_messages (id, event_id, endpoint_id, ordering_key, status, attempts, next_attempt_at, created_at)
       SELECT m.id, $1, m.endpoint_id, $5, 'pending', 0, $4, $4
       FROM unnest($6::text[], $7::text[]) AS m (id, endpoint_id)
       ON CONFLICT (id) DO NOTHING`,
      [
        event.id,
        event.type,
        event.payload,
        event.createdAt,
        orderingKey ?? null,
        endpointIds.map((endpointId) => messageIdFor(event.id, endpointId)),
        [...endpointIds],
      ],
    );
  }

  async due(now: Date, limit: number): Promise<DueMessage[]> {
    const { rows } = await this.#pool.query<MessageRow & { event_payload: string; event_created_at: Date }>(
      `SELECT ${MESSAGE_COLUMNS}, e.payload AS event_payload, e.created_at AS event_created_at
       FROM webhook_messages m JOIN webhook_events e ON e.id = m.event_id
       WHERE m.status = 'pending' AND m.next_attempt_at <= $1
         AND NOT EXISTS (
           SELECT 1 FROM webhook_messages p
           WHERE p.status = 'pending' AND p.endpoint_id = m.endpoint_id
             AND p.ordering_key = m.ordering_key AND p.seq < m.seq)
       ORDER BY m.seq LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => ({
      message: messageFrom(row),
      event: {
        id: row.event_id,
        type: row.event_type,
        payload: row.event_payload,
        createdAt: row.event_created_at,
      },
    }));
  }

  async recordAttempt(attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    await this.#pool.query(
      `WITH logged AS (
         INSERT INTO webhook_attempts (message_id, attempt, at, status_code, duration_ms, error)
         VALUES ($1, $2, $3, $4, $5, $6)
       )
       UPDATE webhook_messages SET status = $7, attempts = GREATEST(attempts, $2), last_attempt_at = $3,
         last_status_code = $4, last_error = $6, next_attempt_at = COALESCE($8, next_attempt_at)
       WHERE id = $1`,
      [
        attempt.messageId,
        attempt.attempt,
        attempt.at,
        attempt.statusCode ?? null,
        Math.round(attempt.durationMs),
        attempt.error ?? null,
        outcome.status,
        outcome.status === 'pending' ? outcome.nextAttemptAt : null,
      ],
    );
  }

  async getMessage(id: string): Promise<OutboxMessage | undefined> {
    const { rows } = await this.#pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM webhook_messages m JOIN webhook_events e ON e.id = m.event_id WHERE m.id = $1`,
      [id],
    );
    return rows[0] ? messageFrom(rows[0]) : undefined;
  }

  async listMessages(
    filter: { endpointId?: string; status?: DeliveryStatus; limit?: number } = {},
  ): Promise<OutboxMessage[]> {
    const { rows } = await this.#pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM webhook_messages m JOIN webhook_events e ON e.id = m.event_id
       WHERE ($1::text IS NULL OR m.endpoint_id = $1) AND ($2::text IS NULL OR m.status = $2)
       ORDER BY m.seq DESC LIMIT $3`,
      [filter.endpointId ?? null, filter.status ?? null, filter.limit ?? 100],
    );
    return rows.map(messageFrom);
  }

  async listAttempts(messageId: string): Promise<DeliveryAttempt[]> {
    const { rows } = await this.#pool.query<{
      message_id: string;
      attempt: number;
      at: Date;
      status_code: number | null;
      duration_ms: number;
      error: string | null;
    }>('SELECT * FROM webhook_attempts WHERE message_id = $1 ORDER BY at, attempt, id', [messageId]);
    return rows.map((row) => ({
      messageId: row.message_id,
      attempt: row.attempt,
      at: row.at,
      ...(row.status_code !== null ? { statusCode: row.status_code } : {}),
      durationMs: row.duration_ms,
      ...(row.error !== null ? { error: row.error } : {}),
    }));
  }

  async redeliver(messageId: string, now: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      "UPDATE webhook_messages SET status = 'pending', next_attempt_at = $2 WHERE id = $1",
      [messageId, now],
    );
    return rowCount === 1;
  }

  async depth(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: string }>(
      "SELECT COUNT(*) AS n FROM webhook_messages WHERE status = 'pending'",
    );
    return Number(rows[0]?.n ?? 0);
  }

  async purge(before: Date): Promise<number> {
    // Attempts go with their messages (ON DELETE CASCADE); then the events nothing refers to any more.
    const { rowCount } = await this.#pool.query(
      "DELETE FROM webhook_messages WHERE status <> 'pending' AND created_at < $1",
      [before],
    );
    await this.#pool.query(
      `DELETE FROM webhook_events e WHERE e.created_at < $1
         AND NOT EXISTS (SELECT 1 FROM webhook_messages m WHERE m.event_id = e.id)`,
      [before],
    );
    return rowCount ?? 0;
  }
}

/**
 * A PostgreSQL {@link CertificateAlertStore}: `record` is an insert that does nothing on conflict, so of
 * two instances racing exactly one records the alert.
 *
 * @example
 * ```ts
 * await new PostgresCertificateAlertStore(pool).record({ connectionId: 'acme', fingerprintSha256, threshold: '7d' }, new Date());
 * ```
 */
export class PostgresCertificateAlertStore implements CertificateAlertStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async has(key: CertificateAlertKey): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      'SELECT 1 FROM certificate_alerts WHERE connection_id = $1 AND fingerprint = $2 AND threshold = $3',
      [key.connectionId, key.fingerprintSha256, key.threshold],
    );
    return (rowCount ?? 0) > 0;
  }

  async record(key: CertificateAlertKey, at: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO certificate_alerts (connection_id, fingerprint, threshold, raised_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [key.connectionId, key.fingerprintSha256, key.threshold, at],
    );
    return rowCount === 1;
  }

  async list(connectionId: string): Promise<Array<CertificateAlertKey & { at: Date }>> {
    const { rows } = await this.#pool.query<{
      connection_id: string;
      fingerprint: string;
      threshold: string;
      raised_at: Date;
    }>('SELECT * FROM certificate_alerts WHERE connection_id = $1 ORDER BY raised_at', [connectionId]);
    return rows.map((row) => ({
      connectionId: row.connection_id,
      fingerprintSha256: row.fingerprint,
      threshold: row.threshold,
      at: row.raised_at,
    }));
  }
}

function endpointFrom(row: EndpointRow): WebhookEndpointRecord {
  return {
    id: row.id,
    url: row.url,
    secret: row.secret,
    ...(row.description !== null ? { description: row.description } : {}),
    eventTypes: row.event_types,
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function messageFrom(row: MessageRow): OutboxMessage {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    endpointId: row.endpoint_id,
    ...(row.ordering_key !== null ? { orderingKey: row.ordering_key } : {}),
    seq: Number(row.seq),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    ...(row.last_attempt_at !== null ? { lastAttemptAt: row.last_attempt_at } : {}),
    ...(row.last_status_code !== null ? { lastStatusCode: row.last_status_code } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  };
}
