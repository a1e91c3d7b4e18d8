/** Connections in PostgreSQL: the id plus the whole connection as `jsonb`, so new fields need no migration. */
import type { Pool } from 'pg';
import type { Connection } from '../../core/types.ts';
import type { ConnectionStore, ConnectionVersion } from '../types.ts';

/**
 * A PostgreSQL {@link ConnectionStore}. Every read parses a fresh object, so callers get copies.
 *
 * @example
 * ```ts
 * const connections = new PostgresConnectionStore(await openPostgresPool(process.env.DATABASE_URL));
 * ```
 */
export class PostgresConnectionStore implements ConnectionStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async get(id: string): Promise<Connection | undefined> {
    const { rows } = await this.#pool.query<{ data: Connection }>(
      'SELECT data FROM connections WHERE id = $1',
      [id],
    );
    return rows[0]?.data;
  }

  /**
   * The version is the MD5 of the stored JSON, computed by the server: an unchanged connection costs one
   * short row (the hash), not the document and its parse.
   */
  async getIfChanged(
    id: string,
    version: string | undefined,
  ): Promise<ConnectionVersion | 'unchanged' | undefined> {
    const { rows } = await this.#pool.query<{ version: string; data: Connection | null }>(
      `SELECT v.version, CASE WHEN v.version = $2 THEN NULL ELSE c.data END AS data
         FROM connections c, LATERAL (SELECT md5(c.data::text) AS version) v
        WHERE c.id = $1`,
      [id, version ?? ''],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return row.data === null ? 'unchanged' : { connection: row.data, version: row.version };
  }

  /** Sorted by id (byte order, like the SQLite adapter, whatever the database's collation). */
  async list(): Promise<Connection[]> {
    const { rows } = await this.#pool.query<{ data: Connection }>(
      'SELECT data FROM connections ORDER BY id COLLATE "C"',
    );
    return rows.map((row) => row.data);
  }

  async put(connection: Connection): Promise<void> {
    await this.#pool.query(
      `INSERT INTO connections (id, data) VALUES ($1, $2)
       ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
      [connection.id, JSON.stringify(connection)],
    );
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM connections WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }
}
