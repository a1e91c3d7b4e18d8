/** The SP key ring in PostgreSQL (tables `sp_keys` and `sp_metadata_fetches`, migration 9). */
import type { Pool } from 'pg';
import {
  clipFetchBy,
  type MetadataFetchRecord,
  type SpKeyRecord,
  type SpKeyState,
  type SpKeyStore,
  type SpKeyUse,
} from '../sp-keys.ts';

interface KeyRow {
  id: string;
  use: string;
  state: string;
  connection_id: string | null;
  certificate_pem: string;
  key_ref: string;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

/**
 * A PostgreSQL {@link SpKeyStore}: every instance behind the load balancer sees the same ring.
 *
 * @example
 * ```ts
 * const keys = new PostgresSpKeyStore(pool);
 * ```
 */
export class PostgresSpKeyStore implements SpKeyStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async list(): Promise<SpKeyRecord[]> {
    const { rows } = await this.#pool.query<KeyRow>('SELECT * FROM sp_keys ORDER BY created_at, id');
    return rows.map(fromRow);
  }

  /** The server hashes every column of every record: one short row. */
  async version(): Promise<string> {
    const { rows } = await this.#pool.query<{ version: string }>(
      `SELECT count(*) || ':' || coalesce(md5(string_agg(
         concat_ws(',', id, use, state, connection_id, key_ref, created_at, activated_at, retired_at, certificate_pem),
         '|' ORDER BY id)), '') AS version
         FROM sp_keys`,
    );
    return rows[0]?.version ?? '';
  }

  async get(id: string): Promise<SpKeyRecord | undefined> {
    const { rows } = await this.#pool.query<KeyRow>('SELECT * FROM sp_keys WHERE id = $1', [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async put(r: SpKeyRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO sp_keys (id, use, state, connection_id, certificate_pem, key_ref, created_at, activated_at, retired_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET use = excluded.use, state = excluded.state,
         connection_id = excluded.connection_id, certificate_pem = excluded.certificate_pem,
         key_ref = excluded.key_ref, created_at = excluded.created_at,
         activated_at = excluded.activated_at, retired_at = excluded.retired_at`,
      [
        r.id,
        r.use,
        r.state,
        r.connectionId ?? null,
        r.certificatePem,
        r.keyRef,
        r.createdAt,
        r.activatedAt ?? null,
        r.retiredAt ?? null,
      ],
    );
  }

  async recordMetadataFetch(connectionId: string, fetch: MetadataFetchRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO sp_metadata_fetches (connection_id, fetched_at, fetched_by) VALUES ($1, $2, $3)
       ON CONFLICT (connection_id) DO UPDATE SET fetched_at = excluded.fetched_at, fetched_by = excluded.fetched_by`,
      [connectionId, fetch.at, clipFetchBy(fetch.by)],
    );
  }

  async lastMetadataFetch(connectionId: string): Promise<MetadataFetchRecord | undefined> {
    const { rows } = await this.#pool.query<{ fetched_at: Date; fetched_by: string }>(
      'SELECT fetched_at, fetched_by FROM sp_metadata_fetches WHERE connection_id = $1',
      [connectionId],
    );
    return rows[0] ? { at: rows[0].fetched_at, by: rows[0].fetched_by } : undefined;
  }
}

function fromRow(row: KeyRow): SpKeyRecord {
  return {
    id: row.id,
    use: row.use as SpKeyUse,
    state: row.state as SpKeyState,
    ...(row.connection_id !== null ? { connectionId: row.connection_id } : {}),
    certificatePem: row.certificate_pem,
    keyRef: row.key_ref,
    createdAt: row.created_at,
    ...(row.activated_at ? { activatedAt: row.activated_at } : {}),
    ...(row.retired_at ? { retiredAt: row.retired_at } : {}),
  };
}
