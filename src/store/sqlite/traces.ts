/** Sign-in traces in SQLite (table `sign_in_traces`, migration 6). */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { type SignInTrace, type TraceQuery, type TraceStore, traceBody, traceListLimit } from '../traces.ts';
import { date, text } from './database.ts';
import { writeTransaction } from './transaction.ts';

/**
 * A SQLite {@link TraceStore}: the filtered columns (time, connection, outcome) are columns, the rest one
 * JSON document.
 *
 * @example
 * ```ts
 * const traces = new SqliteTraceStore(openSqliteDatabase('/tmp/sp.db'));
 * ```
 */
export class SqliteTraceStore implements TraceStore {
  readonly #db: DatabaseSync;
  readonly #put: StatementSync;
  readonly #get: StatementSync;
  readonly #purgeOld: StatementSync;
  readonly #purgeExcess: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#put = db.prepare(
      `INSERT INTO sign_in_traces (trace_id, at, connection_id, outcome, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (trace_id) DO NOTHING`,
    );
    this.#get = db.prepare('SELECT * FROM sign_in_traces WHERE trace_id = ?');
    this.#purgeOld = db.prepare('DELETE FROM sign_in_traces WHERE at < ?');
    this.#purgeExcess = db.prepare(
      `DELETE FROM sign_in_traces WHERE trace_id IN
         (SELECT trace_id FROM sign_in_traces ORDER BY at DESC, trace_id DESC LIMIT -1 OFFSET ?)`,
    );
  }

  async put(trace: SignInTrace): Promise<void> {
    this.#insert(trace);
  }

  #insert(trace: SignInTrace): void {
    this.#put.run(
      trace.traceId,
      trace.at.getTime(),
      trace.connectionId,
      trace.outcome,
      JSON.stringify(traceBody(trace)),
    );
  }

  /** The batch in one transaction (BufferedTraceStore's flush): one commit instead of one per trace. */
  async putMany(traces: readonly SignInTrace[]): Promise<void> {
    writeTransaction(this.#db, () => {
      for (const trace of traces) this.#insert(trace);
    });
  }

  async get(traceId: string): Promise<SignInTrace | undefined> {
    const row = this.#get.get(traceId);
    return row === undefined ? undefined : toTrace(row);
  }

  async list(query: TraceQuery = {}): Promise<SignInTrace[]> {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (query.connectionId !== undefined) {
      where.push('connection_id = ?');
      values.push(query.connectionId);
    }
    if (query.outcome !== undefined) {
      where.push('outcome = ?');
      values.push(query.outcome);
    }
    const sql = `SELECT * FROM sign_in_traces ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY at DESC, trace_id DESC LIMIT ?`;
    return this.#db
      .prepare(sql)
      .all(...values, traceListLimit(query))
      .map(toTrace);
  }

  async purge({ olderThan, maxCount }: { olderThan: Date; maxCount: number }): Promise<number> {
    const old = Number(this.#purgeOld.run(olderThan.getTime()).changes);
    return old + Number(this.#purgeExcess.run(Math.max(0, maxCount)).changes);
  }
}

function toTrace(row: Record<string, unknown>): SignInTrace {
  const body = JSON.parse(text(row.data)) as Omit<SignInTrace, 'traceId' | 'at' | 'connectionId' | 'outcome'>;
  return {
    traceId: text(row.trace_id),
    at: date(row.at),
    connectionId: text(row.connection_id),
    outcome: text(row.outcome) as SignInTrace['outcome'],
    ...body,
  };
}
