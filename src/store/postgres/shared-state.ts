/**
 * The shared-state ports in PostgreSQL (migration 4), shared by every instance on the database.
 *
 * The lock is a lease row, not an advisory lock: an advisory lock belongs to one pooled connection, so the
 * refresh would have to keep a connection checked out for its whole download, and a session lock left on a
 * connection returned to the pool would outlive the work. A lease needs neither, and the lease of an
 * instance that died lapses on its own.
 */
import type { Pool } from 'pg';
import type { LockStore, StateStore, ThrottleStore } from '../shared-state.ts';

const SWEEP_EVERY_WRITES = 500;

/**
 * A PostgreSQL {@link StateStore}: one row per key in `shared_state`.
 *
 * @example
 * ```ts
 * const state = new PostgresStateStore(pool);
 * await state.set('test-run:abc', '{"userId":"…"}', new Date(Date.now() + 900_000), new Date());
 * ```
 */
export class PostgresStateStore implements StateStore {
  readonly #pool: Pool;
  #writesSinceSweep = 0;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async set(key: string, value: string, expiresAt: Date, now: Date): Promise<void> {
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      await this.#pool.query('DELETE FROM shared_state WHERE expires_at <= $1', [now]);
    }
    await this.#pool.query(
      `INSERT INTO shared_state (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      [key, value, expiresAt],
    );
  }

  async get(key: string, now: Date): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ value: string }>(
      'SELECT value FROM shared_state WHERE key = $1 AND expires_at > $2',
      [key, now],
    );
    return rows[0]?.value;
  }

  async delete(key: string): Promise<void> {
    await this.#pool.query('DELETE FROM shared_state WHERE key = $1', [key]);
  }
}

/**
 * A PostgreSQL {@link ThrottleStore}: `hit` is one upsert (opening a new window when the stored one has
 * closed) returning the count; concurrent hits on one key serialise on its row, so none is lost.
 *
 * @example
 * ```ts
 * const throttle = new PostgresThrottleStore(pool);
 * await throttle.hit('admin-login:203.0.113.7', 900_000, new Date()); // 1, 2, …
 * ```
 */
export class PostgresThrottleStore implements ThrottleStore {
  readonly #pool: Pool;
  #writesSinceSweep = 0;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async hit(key: string, windowMs: number, now: Date): Promise<number> {
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      await this.#pool.query('DELETE FROM throttle WHERE window_ends_at <= $1', [now]);
    }
    const { rows } = await this.#pool.query<{ hits: number }>(
      `INSERT INTO throttle (key, hits, window_ends_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN throttle.window_ends_at <= $3 THEN 1 ELSE throttle.hits + 1 END,
         window_ends_at = CASE WHEN throttle.window_ends_at <= $3 THEN excluded.window_ends_at
                               ELSE throttle.window_ends_at END
       RETURNING hits`,
      [key, new Date(now.getTime() + windowMs), now],
    );
    return Number(rows[0]?.hits);
  }

  async count(key: string, now: Date): Promise<number> {
    const { rows } = await this.#pool.query<{ hits: number }>(
      'SELECT hits FROM throttle WHERE key = $1 AND window_ends_at > $2',
      [key, now],
    );
    return Number(rows[0]?.hits ?? 0);
  }

  async reset(key: string): Promise<void> {
    await this.#pool.query('DELETE FROM throttle WHERE key = $1', [key]);
  }
}

/**
 * A PostgreSQL {@link LockStore}. `acquire` is one upsert that only overwrites an expired lease or the
 * owner's own: two instances racing for a free lease serialise on its primary key, the second then finds
 * a live lease of another owner and writes nothing.
 *
 * @example
 * ```ts
 * const locks = new PostgresLockStore(pool);
 * await locks.acquire('metadata-refresh:acme', owner, new Date(Date.now() + 300_000), new Date());
 * ```
 */
export class PostgresLockStore implements LockStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async acquire(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.expires_at <= $4 OR leases.owner = excluded.owner`,
      [name, owner, expiresAt, now],
    );
    return rowCount === 1;
  }

  async release(name: string, owner: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('DELETE FROM leases WHERE name = $1 AND owner = $2', [
      name,
      owner,
    ]);
    return rowCount === 1;
  }
}
