/** Connection health in PostgreSQL: one row per connection, counters incremented inside the upsert. */
import type { Pool } from 'pg';
import {
  type ConnectionHealth,
  type ConnectionHealthStore,
  clip,
  type SignInFailureRecord,
  type SignInSuccessRecord,
} from '../connection-health.ts';

interface HealthRow {
  connection_id: string;
  success_count: number;
  failure_count: number;
  last_success_at: Date | null;
  last_success_name_id: string | null;
  last_success_user_id: string | null;
  last_failure_at: Date | null;
  last_failure_code: string | null;
  last_failure_message: string | null;
  last_failure_hint: string | null;
  last_failure_trace_id: string | null;
}

const COLUMNS = `connection_id, success_count, failure_count, last_success_at, last_success_name_id,
  last_success_user_id, last_failure_at, last_failure_code, last_failure_message, last_failure_hint, last_failure_trace_id`;

/**
 * A PostgreSQL {@link ConnectionHealthStore} (table `connection_health`, migration 3). Each record is one
 * `INSERT ... ON CONFLICT DO UPDATE SET count = count + 1`, so sign-ins on every instance are all counted.
 *
 * @example
 * ```ts
 * const health = new PostgresConnectionHealthStore(pool);
 * await health.recordSuccess('acme', { at: new Date(), nameId: 'alice', userId: user.id });
 * ```
 */
export class PostgresConnectionHealthStore implements ConnectionHealthStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async recordSuccess(connectionId: string, success: SignInSuccessRecord, count = 1): Promise<void> {
    await this.#pool.query(
      `INSERT INTO connection_health
         (connection_id, success_count, last_success_at, last_success_name_id, last_success_user_id)
       VALUES ($1, $5, $2, $3, $4)
       ON CONFLICT (connection_id) DO UPDATE SET
         success_count = connection_health.success_count + excluded.success_count,
         last_success_at = excluded.last_success_at,
         last_success_name_id = excluded.last_success_name_id,
         last_success_user_id = excluded.last_success_user_id`,
      [connectionId, success.at, success.nameId, success.userId, count],
    );
  }

  async recordFailure(connectionId: string, failure: SignInFailureRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO connection_health (connection_id, failure_count, last_failure_at, last_failure_code,
                                      last_failure_message, last_failure_hint, last_failure_trace_id)
       VALUES ($1, 1, $2, $3, $4, $5, $6)
       ON CONFLICT (connection_id) DO UPDATE SET
         failure_count = connection_health.failure_count + 1,
         last_failure_at = excluded.last_failure_at,
         last_failure_code = excluded.last_failure_code,
         last_failure_message = excluded.last_failure_message,
         last_failure_hint = excluded.last_failure_hint,
         last_failure_trace_id = excluded.last_failure_trace_id`,
      [
        connectionId,
        failure.at,
        failure.code,
        clip(failure.message),
        clip(failure.hint),
        failure.traceId ?? null,
      ],
    );
  }

  async get(connectionId: string): Promise<ConnectionHealth | undefined> {
    const { rows } = await this.#pool.query<HealthRow>(
      `SELECT ${COLUMNS} FROM connection_health WHERE connection_id = $1`,
      [connectionId],
    );
    return rows[0] === undefined ? undefined : toHealth(rows[0]);
  }

  /** Sorted by connection id (byte order, as in the connection list). */
  async list(): Promise<ConnectionHealth[]> {
    const { rows } = await this.#pool.query<HealthRow>(
      `SELECT ${COLUMNS} FROM connection_health ORDER BY connection_id COLLATE "C"`,
    );
    return rows.map(toHealth);
  }

  async delete(connectionId: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM connection_health WHERE connection_id = $1', [
      connectionId,
    ]);
    return (rowCount ?? 0) > 0;
  }
}

function toHealth(row: HealthRow): ConnectionHealth {
  const health: ConnectionHealth = {
    connectionId: row.connection_id,
    successCount: row.success_count,
    failureCount: row.failure_count,
  };
  if (row.last_success_at !== null) {
    health.lastSuccess = {
      at: row.last_success_at,
      nameId: row.last_success_name_id ?? '',
      userId: row.last_success_user_id ?? '',
    };
  }
  if (row.last_failure_at !== null) {
    health.lastFailure = {
      at: row.last_failure_at,
      code: row.last_failure_code ?? '',
      message: row.last_failure_message ?? '',
      hint: row.last_failure_hint ?? '',
      ...(row.last_failure_trace_id !== null ? { traceId: row.last_failure_trace_id } : {}),
    };
  }
  return health;
}
