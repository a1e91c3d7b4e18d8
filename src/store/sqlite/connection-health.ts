/** Connection health in SQLite: one row per connection, counters incremented inside the upsert. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  type ConnectionHealth,
  type ConnectionHealthStore,
  clip,
  type SignInFailureRecord,
  type SignInSuccessRecord,
} from '../connection-health.ts';
import { optionalText, text } from './database.ts';

/**
 * A SQLite {@link ConnectionHealthStore} (table `connection_health`, migration 3).
 *
 * @example
 * ```ts
 * const health = new SqliteConnectionHealthStore(openSqliteDatabase('/tmp/sp.db'));
 * ```
 */
export class SqliteConnectionHealthStore implements ConnectionHealthStore {
  readonly #success: StatementSync;
  readonly #failure: StatementSync;
  readonly #get: StatementSync;
  readonly #list: StatementSync;
  readonly #delete: StatementSync;

  constructor(db: DatabaseSync) {
    this.#success = db.prepare(
      `INSERT INTO connection_health (connection_id, success_count, last_success_at, last_success_name_id, last_success_user_id)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (connection_id) DO UPDATE SET
         success_count = success_count + excluded.success_count,
         last_success_at = excluded.last_success_at,
         last_success_name_id = excluded.last_success_name_id,
         last_success_user_id = excluded.last_success_user_id`,
    );
    this.#failure = db.prepare(
      `INSERT INTO connection_health (connection_id, failure_count, last_failure_at, last_failure_code, last_failure_message, last_failure_hint, last_failure_trace_id)
       VALUES (?, 1, ?, ?, ?, ?, ?)
       ON CONFLICT (connection_id) DO UPDATE SET
         failure_count = failure_count + 1,
         last_failure_at = excluded.last_failure_at,
         last_failure_code = excluded.last_failure_code,
         last_failure_message = excluded.last_failure_message,
         last_failure_hint = excluded.last_failure_hint,
         last_failure_trace_id = excluded.last_failure_trace_id`,
    );
    this.#get = db.prepare('SELECT * FROM connection_health WHERE connection_id = ?');
    this.#list = db.prepare('SELECT * FROM connection_health ORDER BY connection_id');
    this.#delete = db.prepare('DELETE FROM connection_health WHERE connection_id = ?');
  }

  async recordSuccess(connectionId: string, success: SignInSuccessRecord, count = 1): Promise<void> {
    this.#success.run(connectionId, count, success.at.getTime(), success.nameId, success.userId);
  }

  async recordFailure(connectionId: string, failure: SignInFailureRecord): Promise<void> {
    this.#failure.run(
      connectionId,
      failure.at.getTime(),
      failure.code,
      clip(failure.message),
      clip(failure.hint),
      failure.traceId ?? null,
    );
  }

  async get(connectionId: string): Promise<ConnectionHealth | undefined> {
    const row = this.#get.get(connectionId);
    return row === undefined ? undefined : toHealth(row);
  }

  async list(): Promise<ConnectionHealth[]> {
    return this.#list.all().map(toHealth);
  }

  async delete(connectionId: string): Promise<boolean> {
    return Number(this.#delete.run(connectionId).changes) > 0;
  }
}

function toHealth(row: Record<string, unknown>): ConnectionHealth {
  const health: ConnectionHealth = {
    connectionId: text(row.connection_id),
    successCount: Number(row.success_count),
    failureCount: Number(row.failure_count),
  };
  if (typeof row.last_success_at === 'number') {
    health.lastSuccess = {
      at: new Date(row.last_success_at),
      nameId: text(row.last_success_name_id),
      userId: text(row.last_success_user_id),
    };
  }
  if (typeof row.last_failure_at === 'number') {
    health.lastFailure = {
      at: new Date(row.last_failure_at),
      code: text(row.last_failure_code),
      message: optionalText(row.last_failure_message) ?? '',
      hint: optionalText(row.last_failure_hint) ?? '',
    };
    const traceId = optionalText(row.last_failure_trace_id);
    if (traceId !== undefined) health.lastFailure.traceId = traceId;
  }
  return health;
}
