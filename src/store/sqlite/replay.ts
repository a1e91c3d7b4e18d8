/** The replay cache in SQLite, for a single instance that must still refuse replays after a restart. */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ReplayCache } from '../types.ts';

const SWEEP_EVERY_WRITES = 500;

/**
 * A SQLite {@link ReplayCache}. `remember` is one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired`
 * statement: it writes a row (and so reports true) only when the key is new or its previous entry has expired.
 *
 * @example
 * ```ts
 * const replay = new SqliteReplayCache(db);
 * await replay.remember(`assertion:${id}`, notOnOrAfter, new Date()); // true, then false
 * ```
 */
export class SqliteReplayCache implements ReplayCache {
  readonly #remember: StatementSync;
  readonly #sweep: StatementSync;
  #writesSinceSweep = 0;

  constructor(db: DatabaseSync) {
    this.#remember = db.prepare(`
      INSERT INTO replay_cache (key, expires_at) VALUES (?, ?)
      ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE replay_cache.expires_at <= ?`);
    this.#sweep = db.prepare('DELETE FROM replay_cache WHERE expires_at <= ?');
  }

  async remember(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.rememberNow(key, expiresAt, now);
  }

  /** {@link remember}, synchronously: for a transaction that must not yield (SqliteSignInStore). */
  rememberNow(key: string, expiresAt: Date, now: Date): boolean {
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      this.#sweep.run(now.getTime());
    }
    return Number(this.#remember.run(key, expiresAt.getTime(), now.getTime()).changes) === 1;
  }
}
