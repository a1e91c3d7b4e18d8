/**
 * The shared-state ports in SQLite (migration 4): shared by every process on the one file, and kept across
 * restarts, so an admin stays signed in and the throttle keeps counting when the server restarts.
 * Expired rows are swept every {@link SWEEP_EVERY_WRITES} writes.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { LockStore, StateStore, ThrottleStore } from '../shared-state.ts';

const SWEEP_EVERY_WRITES = 500;

/**
 * A SQLite {@link StateStore}: one row per key in `shared_state`.
 *
 * @example
 * ```ts
 * const state = new SqliteStateStore(db);
 * await state.set('test-run:abc', '{"userId":"…"}', new Date(Date.now() + 900_000), new Date());
 * ```
 */
export class SqliteStateStore implements StateStore {
  readonly #set: StatementSync;
  readonly #get: StatementSync;
  readonly #delete: StatementSync;
  readonly #sweep: StatementSync;
  #writesSinceSweep = 0;

  constructor(db: DatabaseSync) {
    this.#set = db.prepare('INSERT OR REPLACE INTO shared_state (key, value, expires_at) VALUES (?, ?, ?)');
    this.#get = db.prepare('SELECT value FROM shared_state WHERE key = ? AND expires_at > ?');
    this.#delete = db.prepare('DELETE FROM shared_state WHERE key = ?');
    this.#sweep = db.prepare('DELETE FROM shared_state WHERE expires_at <= ?');
  }

  async set(key: string, value: string, expiresAt: Date, now: Date): Promise<void> {
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      this.#sweep.run(now.getTime());
    }
    this.#set.run(key, value, expiresAt.getTime());
  }

  async get(key: string, now: Date): Promise<string | undefined> {
    const value = this.#get.get(key, now.getTime())?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async delete(key: string): Promise<void> {
    this.#delete.run(key);
  }
}

/**
 * A SQLite {@link ThrottleStore}: `hit` is one upsert that opens a new window when the stored one has
 * closed, and returns the count.
 *
 * @example
 * ```ts
 * const throttle = new SqliteThrottleStore(db);
 * await throttle.hit('admin-login:203.0.113.7', 900_000, new Date()); // 1, 2, …
 * ```
 */
export class SqliteThrottleStore implements ThrottleStore {
  readonly #hit: StatementSync;
  readonly #count: StatementSync;
  readonly #reset: StatementSync;
  readonly #sweep: StatementSync;
  #writesSinceSweep = 0;

  constructor(db: DatabaseSync) {
    this.#hit = db.prepare(`
      INSERT INTO throttle (key, hits, window_ends_at) VALUES (:key, 1, :ends)
      ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN throttle.window_ends_at <= :now THEN 1 ELSE throttle.hits + 1 END,
        window_ends_at = CASE WHEN throttle.window_ends_at <= :now THEN :ends ELSE throttle.window_ends_at END
      RETURNING hits`);
    this.#count = db.prepare('SELECT hits FROM throttle WHERE key = ? AND window_ends_at > ?');
    this.#reset = db.prepare('DELETE FROM throttle WHERE key = ?');
    this.#sweep = db.prepare('DELETE FROM throttle WHERE window_ends_at <= ?');
  }

  async hit(key: string, windowMs: number, now: Date): Promise<number> {
    const t = now.getTime();
    if (++this.#writesSinceSweep >= SWEEP_EVERY_WRITES) {
      this.#writesSinceSweep = 0;
      this.#sweep.run(t);
    }
    return Number(this.#hit.get({ key, ends: t + windowMs, now: t })?.hits);
  }

  async count(key: string, now: Date): Promise<number> {
    return Number(this.#count.get(key, now.getTime())?.hits ?? 0);
  }

  async reset(key: string): Promise<void> {
    this.#reset.run(key);
  }
}

/**
 * A SQLite {@link LockStore}: a lease row taken by an upsert that only overwrites an expired lease or the
 * owner's own, so of several processes on the file exactly one holds it.
 *
 * @example
 * ```ts
 * const locks = new SqliteLockStore(db);
 * if (await locks.acquire('metadata-refresh:acme', owner, new Date(Date.now() + 300_000), new Date())) {
 *   try { await refresh(); } finally { await locks.release('metadata-refresh:acme', owner); }
 * }
 * ```
 */
export class SqliteLockStore implements LockStore {
  readonly #acquire: StatementSync;
  readonly #release: StatementSync;

  constructor(db: DatabaseSync) {
    this.#acquire = db.prepare(`
      INSERT INTO leases (name, owner, expires_at) VALUES (:name, :owner, :expires)
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
      WHERE leases.expires_at <= :now OR leases.owner = excluded.owner`);
    this.#release = db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?');
  }

  async acquire(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    const { changes } = this.#acquire.run({ name, owner, expires: expiresAt.getTime(), now: now.getTime() });
    return Number(changes) === 1;
  }

  async release(name: string, owner: string): Promise<boolean> {
    return Number(this.#release.run(name, owner).changes) === 1;
  }
}
