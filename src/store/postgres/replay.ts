/** The replay cache in PostgreSQL, shared by every instance on the database. */
import type { Pool } from 'pg';
import type { ReplayCache } from '../types.ts';

const SWEEP_EVERY_WRITES = 500;

/**
 * The replay INSERT on parameters $first (key), $first+1 (expiry), $first+2 (now): writes (and returns) a row
 * only when the key is new or its entry has expired. Also a part of the sign-in statement (sign-ins.ts).
 */
export function replayInsertSql(first = 1): string {
  const [key, expiresAt, now] = [first, first + 1, first + 2].map((n) => `$${n}`);
  return `INSERT INTO replay_cache (key, expires_at) VALUES (${key}, ${expiresAt})
  ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_cache.expires_at <= ${now}`;
}

const REPLAY_INSERT = replayInsertSql();

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
    await this.sweepIfDue(now);
    const { rowCount } = await this.#pool.query(REPLAY_INSERT, [key, expiresAt, now]);
    return rowCount === 1;
  }

  /**
   * Counts one replay write and, every {@link SWEEP_EVERY_WRITES}th, drops the expired entries: for a writer
   * that records keys with its own statement (the sign-in statement, sign-ins.ts).
   */
  async sweepIfDue(now: Date): Promise<void> {
    if (++this.#writesSinceSweep < SWEEP_EVERY_WRITES) return;
    this.#writesSinceSweep = 0;
    await this.#pool.query('DELETE FROM replay_cache WHERE expires_at <= $1', [now]);
  }
}
