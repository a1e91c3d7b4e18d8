/** Sign-in traces in PostgreSQL (table `sign_in_traces`, migration 6), shared by every instance. */
import type { Pool } from 'pg';
import { type SignInTrace, type TraceQuery, type TraceStore, traceBody, traceListLimit } from '../traces.ts';

interface TraceRow {
  trace_id: string;
  at: Date;
  connection_id: string;
  outcome: SignInTrace['outcome'];
  data: Omit<SignInTrace, 'traceId' | 'at' | 'connectionId' | 'outcome'>;
}

/**
 * A PostgreSQL {@link TraceStore}: the filtered columns are columns, the rest one jsonb document.
 *
 * @example
 * ```ts
 * const traces = new PostgresTraceStore(pool);
 * ```
 */
export class PostgresTraceStore implements TraceStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async put(trace: SignInTrace): Promise<void> {
    await this.#pool.query(
      `INSERT INTO sign_in_traces (trace_id, at, connection_id, outcome, data) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (trace_id) DO NOTHING`,
      [trace.traceId, trace.at, trace.connectionId, trace.outcome, JSON.stringify(traceBody(trace))],
    );
  }

  /** One INSERT for the whole batch (BufferedTraceStore's flush): one round trip, one commit. */
  async putMany(traces: readonly SignInTrace[]): Promise<void> {
    if (traces.length === 0) return;
    await this.#pool.query(
      `INSERT INTO sign_in_traces (trace_id, at, connection_id, outcome, data)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[])
       ON CONFLICT (trace_id) DO NOTHING`,
      [
        traces.map((t) => t.traceId),
        traces.map((t) => t.at),
        traces.map((t) => t.connectionId),
        traces.map((t) => t.outcome),
        traces.map((t) => JSON.stringify(traceBody(t))),
      ],
    );
  }

  async get(traceId: string): Promise<SignInTrace | undefined> {
    const { rows } = await this.#pool.query<TraceRow>('SELECT * FROM sign_in_traces WHERE trace_id = $1', [
      traceId,
    ]);
    return rows[0] && toTrace(rows[0]);
  }

  async list(query: TraceQuery = {}): Promise<SignInTrace[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.connectionId !== undefined) {
      values.push(query.connectionId);
      where.push(`connection_id = $${values.length}`);
    }
    if (query.outcome !== undefined) {
      values.push(query.outcome);
      where.push(`outcome = $${values.length}`);
    }
    values.push(traceListLimit(query));
    const { rows } = await this.#pool.query<TraceRow>(
      `SELECT * FROM sign_in_traces ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY at DESC, trace_id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toTrace);
  }

  async purge({ olderThan, maxCount }: { olderThan: Date; maxCount: number }): Promise<number> {
    const old = await this.#pool.query('DELETE FROM sign_in_traces WHERE at < $1', [olderThan]);
    const excess = await this.#pool.query(
      `DELETE FROM sign_in_traces WHERE trace_id IN
         (SELECT trace_id FROM sign_in_traces ORDER BY at DESC, trace_id DESC OFFSET $1)`,
      [Math.max(0, maxCount)],
    );
    return (old.rowCount ?? 0) + (excess.rowCount ?? 0);
  }
}

function toTrace(row: TraceRow): SignInTrace {
  return {
    traceId: row.trace_id,
    at: new Date(row.at),
    connectionId: row.connection_id,
    outcome: row.outcome,
    ...row.data,
  };
}
