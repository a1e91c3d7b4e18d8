/** The replay cache in PostgreSQL, shared by every instance on the database. */
import type { Pool } from 'pg';
import type { ReplayCache } from '../types.ts';

const SWEEP_EVERY_WRITES = 500;

/**
 * A PostgreSQL {@link ReplayCache}. `remember` is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired`
 * statement: it writes a row (and so reports true) only when the key is new or its previous entry has
 * expired. Two instances inserting one key at once are serialised by the primary key: the second waits for
 * the first to commit, then finds a live row and writes nothing.
 *
 * @example
 * ```ts
 * const replay = new PostgresReplayCache(pool);
 * await replay.remember(`assertion:${id}`, notOnOrAfter, new Date()); // true, then false
 * ```
 */
export class PostgresReplayCache implements ReplayCache {
  readonly #pool: Pool;
  #writesSinceSweep = 0;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async remember(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      await this.#pool.query('DELETE FROM replay_cache WHERE expires_at <= $1', [now]);
    }
    const { rowCount } = await this.#pool.query(
      `INSERT INTO replay_cache (key, expires_at) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_cache.expires_at <= $3`,
      [key, expiresAt, now],
    );
    return rowCount === 1;
  }
}
