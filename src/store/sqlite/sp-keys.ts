/** The SP key ring in SQLite (tables `sp_keys` and `sp_metadata_fetches`, migration 9). */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  clipFetchBy,
  type MetadataFetchRecord,
  type SpKeyRecord,
  type SpKeyState,
  type SpKeyStore,
  type SpKeyUse,
} from '../sp-keys.ts';
import { changeCounter, counted } from './change-counters.ts';

/**
 * A SQLite {@link SpKeyStore}.
 *
 * @example
 * ```ts
 * const keys = new SqliteSpKeyStore(openSqliteDatabase('/tmp/sp.db'));
 * ```
 */
export class SqliteSpKeyStore implements SpKeyStore {
  readonly #list: StatementSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #fetch: StatementSync;
  readonly #lastFetch: StatementSync;
  readonly #version: () => number;

  constructor(db: DatabaseSync) {
    this.#list = db.prepare('SELECT * FROM sp_keys ORDER BY created_at, id');
    this.#get = db.prepare('SELECT * FROM sp_keys WHERE id = ?');
    this.#put = db.prepare(
      `INSERT INTO sp_keys (id, use, state, connection_id, certificate_pem, key_ref, created_at, activated_at, retired_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET use = excluded.use, state = excluded.state,
         connection_id = excluded.connection_id, certificate_pem = excluded.certificate_pem,
         key_ref = excluded.key_ref, created_at = excluded.created_at,
         activated_at = excluded.activated_at, retired_at = excluded.retired_at`,
    );
    this.#fetch = db.prepare(
      `INSERT INTO sp_metadata_fetches (connection_id, fetched_at, fetched_by) VALUES (?, ?, ?)
       ON CONFLICT (connection_id) DO UPDATE SET fetched_at = excluded.fetched_at, fetched_by = excluded.fetched_by`,
    );
    this.#lastFetch = db.prepare('SELECT * FROM sp_metadata_fetches WHERE connection_id = ?');
    // The SP keys' change counter (migration 15): bumped by a trigger at every write, on every instance.
    this.#version = changeCounter(db, 'sp_keys');
  }

  async version(): Promise<string> {
    return String(this.#version());
  }

  async list(): Promise<SpKeyRecord[]> {
    return this.#list.all().map(fromRow);
  }

  async get(id: string): Promise<SpKeyRecord | undefined> {
    const row = this.#get.get(id);
    return row ? fromRow(row) : undefined;
  }

  async put(r: SpKeyRecord): Promise<void> {
    counted(() => this.#putNow(r));
  }

  #putNow(r: SpKeyRecord): void {
    this.#put.run(
      r.id,
      r.use,
      r.state,
      r.connectionId ?? null,
      r.certificatePem,
      r.keyRef,
      r.createdAt.getTime(),
      r.activatedAt?.getTime() ?? null,
      r.retiredAt?.getTime() ?? null,
    );
  }

  async recordMetadataFetch(connectionId: string, fetch: MetadataFetchRecord): Promise<void> {
    this.#fetch.run(connectionId, fetch.at.getTime(), clipFetchBy(fetch.by));
  }

  async lastMetadataFetch(connectionId: string): Promise<MetadataFetchRecord | undefined> {
    const row = this.#lastFetch.get(connectionId);
    return row ? { at: new Date(Number(row.fetched_at)), by: String(row.fetched_by) } : undefined;
  }
}

function fromRow(row: Record<string, unknown>): SpKeyRecord {
  return {
    id: String(row.id),
    use: String(row.use) as SpKeyUse,
    state: String(row.state) as SpKeyState,
    ...(row.connection_id != null ? { connectionId: String(row.connection_id) } : {}),
    certificatePem: String(row.certificate_pem),
    keyRef: String(row.key_ref),
    createdAt: new Date(Number(row.created_at)),
    ...(row.activated_at != null ? { activatedAt: new Date(Number(row.activated_at)) } : {}),
    ...(row.retired_at != null ? { retiredAt: new Date(Number(row.retired_at)) } : {}),
  };
}
