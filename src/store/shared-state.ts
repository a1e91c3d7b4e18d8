/**
 * Short-lived state that every instance of a deployment must see alike, so that no load balancer needs
 * sticky sessions: admin sessions and test sign-in results ({@link StateStore}), the admin sign-in throttle
 * ({@link ThrottleStore}) and the lock that lets one instance, not all, refresh a connection's metadata
 * ({@link LockStore}).
 *
 * Three small ports, one adapter per backend (memory, SQLite, PostgreSQL, Redis), one contract suite
 * (test/store/shared-state.contract.ts). `openStores` puts them in Redis when REDIS_URL is set, else in the
 * database, and in memory for `memory:`. Every method takes the caller's clock (`now`), as the other stores
 * do, so an injected clock rules expiry everywhere.
 */

/**
 * Values under keys until they expire. Values are opaque text without NUL characters: callers keep JSON in
 * them (which never contains a raw NUL).
 */
export interface StateStore {
  /** Stores `value` under `key` until `expiresAt`, replacing what was there. */
  set(key: string, value: string, expiresAt: Date, now: Date): Promise<void>;
  /** The value under `key`, or undefined when there is none or it expired by `now`. */
  get(key: string, now: Date): Promise<string | undefined>;
  /** Removes `key` (nothing happens when it is absent). */
  delete(key: string): Promise<void>;
}

/**
 * Hit counters over a fixed window: the window opens at the first hit and lasts `windowMs`; a hit after it
 * closed opens a new one. Each `hit` is atomic, so hits on several instances at once are all counted.
 */
export interface ThrottleStore {
  /** Counts one hit on `key`; returns the hits in the current window, this one included. */
  hit(key: string, windowMs: number, now: Date): Promise<number>;
  /** The hits in the current window of `key`; 0 when there is none or it has closed by `now`. */
  count(key: string, now: Date): Promise<number>;
  /** Forgets `key`'s hits. */
  reset(key: string): Promise<void>;
}

/**
 * Leases: named locks with an expiry, so an instance that dies holding one delays the others only until the
 * lease runs out. Choose `expiresAt` well beyond the longest work done under the lock.
 */
export interface LockStore {
  /**
   * Takes `name` for `owner` until `expiresAt`, unless another owner holds it and its lease is live at
   * `now`. Returns true when `owner` holds the lock afterwards (acquiring one's own lock again extends it).
   */
  acquire(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean>;
  /** Releases `name` if `owner` holds it; returns whether it did. Never releases another owner's lease. */
  release(name: string, owner: string): Promise<boolean>;
}

/** The three shared-state ports, as every backend provides them. */
export interface SharedStateStores {
  state: StateStore;
  throttle: ThrottleStore;
  locks: LockStore;
}
