/**
 * Pending AuthnRequest IDs in SQLite, for a single instance that must keep logins in flight across a restart.
 * Expired rows are swept every {@link SWEEP_EVERY_WRITES} saves, so the table stays near the live set.
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import { decodeRequestAuthn, encodeRequestAuthn } from '../authn-columns.ts';
import type { PendingRequest, RequestIdStore } from '../types.ts';
import { date, text } from './database.ts';

const SWEEP_EVERY_WRITES = 500;

/**
 * A SQLite {@link RequestIdStore}. `consume` is one `DELETE ... RETURNING` statement, so two consumers (even
 * in two processes) cannot both receive the request.
 *
 * @example
 * ```ts
 * const requests = new SqliteRequestIdStore(db);
 * const pending = await requests.consume(inResponseTo, new Date());
 * ```
 */
export class SqliteRequestIdStore implements RequestIdStore {
  readonly #save: StatementSync;
  readonly #peek: StatementSync;
  readonly #list: StatementSync;
  readonly #consume: StatementSync;
  readonly #sweep: StatementSync;
  #writesSinceSweep = 0;

  constructor(db: DatabaseSync) {
    this.#save = db.prepare(`
      INSERT OR REPLACE INTO pending_requests
        (request_id, connection_id, browser_key, return_to, created_at, expires_at, authn, test_run)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#peek = db.prepare('SELECT * FROM pending_requests WHERE request_id = ? AND expires_at > ?');
    this.#list = db.prepare(`
      SELECT * FROM pending_requests WHERE browser_key = ? AND connection_id = ? AND expires_at > ?
      ORDER BY created_at, rowid`);
    // Deletes expired rows too: a consumed-or-expired ID is dead either way, and the caller learns which from
    // the undefined result alone.
    this.#consume = db.prepare('DELETE FROM pending_requests WHERE request_id = ? RETURNING *');
    this.#sweep = db.prepare('DELETE FROM pending_requests WHERE expires_at <= ?');
  }

  async save(request: PendingRequest): Promise<void> {
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      this.#sweep.run(request.createdAt.getTime());
    }
    this.#save.run(
      request.requestId,
      request.connectionId,
      request.browserKey,
      request.returnTo,
      request.createdAt.getTime(),
      request.expiresAt.getTime(),
      encodeRequestAuthn(request.authn),
      request.testRun ?? null,
    );
  }

  async peek(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const row = this.#peek.get(requestId, now.getTime());
    return row === undefined ? undefined : toRequest(row);
  }

  async listForBrowser(browserKey: string, connectionId: string, now: Date): Promise<PendingRequest[]> {
    return this.#list.all(browserKey, connectionId, now.getTime()).map(toRequest);
  }

  async consume(requestId: string, now: Date): Promise<PendingRequest | undefined> {
    const row = this.#consume.get(requestId);
    if (row === undefined) return undefined;
    const request = toRequest(row);
    return now.getTime() >= request.expiresAt.getTime() ? undefined : request;
  }
}

function toRequest(row: Record<string, SQLOutputValue>): PendingRequest {
  return {
    requestId: text(row.request_id),
    connectionId: text(row.connection_id),
    browserKey: text(row.browser_key),
    returnTo: text(row.return_to),
    ...decodeRequestAuthn(row.authn),
    createdAt: date(row.created_at),
    expiresAt: date(row.expires_at),
    ...(row.test_run !== null && row.test_run !== undefined ? { testRun: text(row.test_run) } : {}),
  };
}
