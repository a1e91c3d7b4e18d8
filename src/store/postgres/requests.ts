/**
 * Pending AuthnRequest IDs in PostgreSQL, shared by every instance on the database, so a login started on
 * one instance can finish on another. Expired rows are swept every {@link SWEEP_EVERY_WRITES} saves (per
 * instance), so the table stays near the live set.
 */
import type { Pool } from 'pg';
import { decodeRequestAuthn, encodeRequestAuthn } from '../authn-columns.ts';
import type { PendingRequest, RequestIdStore } from '../types.ts';

const SWEEP_EVERY_WRITES = 500;

interface RequestRow {
  request_id: string;
  connection_id: string;
  browser_key: string;
  return_to: string;
  created_at: Date;
  expires_at: Date;
  authn: string | null;
  test_run: string | null;
}

const COLUMNS = 'request_id, connection_id, browser_key, return_to, created_at, expires_at, authn, test_run';

/**
 * A PostgreSQL {@link RequestIdStore}. `consume` is one `DELETE ... RETURNING` statement: PostgreSQL lets one
 * delete win and the others find no row, so two instances (or two pooled connections) racing for one
 * response cannot both receive the request.
 *
 * @example
 * ```ts
 * const requests = new PostgresRequestIdStore(pool);
 * const pending = await requests.consume(inResponseTo, new Date());
 * ```
 */
export class PostgresRequestIdStore implements RequestIdStore {
  readonly #pool: Pool;
  #writesSinceSweep = 0;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async save(request: PendingRequest): Promise<void> {
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      await this.#pool.query('DELETE FROM pending_requests WHERE expires_at <= $1', [request.createdAt]);
    }
    await this.#pool.query(
      `INSERT INTO pending_requests (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (request_id) DO UPDATE SET
         connection_id = excluded.connection_id, browser_key = excluded.browser_key,
         return_to = excluded.return_to, created_at = excluded.created_at, expires_at = excluded.expires_at,
         authn = excluded.authn, test_run = excluded.test_run`,
      [
        request.requestId,
        request.connectionId,
        request.browserKey,
        request.returnTo,
        request.createdAt,
        request.expiresAt,
        encodeRequestAuthn(request.authn),
        request.testRun ?? null,
      ],
    );
  }

  async peek(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const { rows } = await this.#pool.query<RequestRow>(
      `SELECT ${COLUMNS} FROM pending_requests WHERE request_id = $1 AND expires_at > $2`,
      [requestId, now],
    );
    return rows[0] === undefined ? undefined : toRequest(rows[0]);
  }

  async listForBrowser(browserKey: string, connectionId: string, now: Date): Promise<PendingRequest[]> {
    const { rows } = await this.#pool.query<RequestRow>(
      `SELECT ${COLUMNS} FROM pending_requests
       WHERE browser_key = $1 AND connection_id = $2 AND expires_at > $3
       ORDER BY created_at, request_id`,
      [browserKey, connectionId, now],
    );
    return rows.map(toRequest);
  }

  async consume(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    // Deletes an expired row too: a consumed-or-expired ID is dead either way.
    const { rows } = await this.#pool.query<RequestRow>(
      `DELETE FROM pending_requests WHERE request_id = $1 RETURNING ${COLUMNS}`,
      [requestId],
    );
    if (rows[0] === undefined) return undefined;
    const request = toRequest(rows[0]);
    return now.getTime() >= request.expiresAt.getTime() ? undefined : request;
  }
}

function toRequest(row: RequestRow): PendingRequest {
  return {
    requestId: row.request_id,
    connectionId: row.connection_id,
    browserKey: row.browser_key,
    returnTo: row.return_to,
    ...decodeRequestAuthn(row.authn),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.test_run !== null ? { testRun: row.test_run } : {}),
  };
}
