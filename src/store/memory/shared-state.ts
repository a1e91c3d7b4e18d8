/**
 * The shared-state ports in process memory: `memory:`, tests, and the fallback of a server whose stores
 * lack them. "Shared" only within the process: several instances need a database or Redis. Capped like the
 * other in-process caches ({@link ExpiringMap}), since anonymous traffic writes the throttle.
 */
import type { LockStore, StateStore, ThrottleStore } from '../shared-state.ts';
import { ExpiringMap } from './expiring-map.ts';
import type { MemoryCacheOptions } from './requests.ts';

/**
 * An in-process {@link StateStore}.
 *
 * @example
 * ```ts
 * const state = new MemoryStateStore();
 * await state.set('admin-session:abc', '{"csrfToken":"…"}', new Date(Date.now() + 3_600_000), new Date());
 * ```
 */
export class MemoryStateStore implements StateStore {
  readonly #values: ExpiringMap<string>;

  constructor(options: MemoryCacheOptions = {}) {
    this.#values = new ExpiringMap<string>(capOf(options));
  }

  async set(key: string, value: string, expiresAt: Date, now: Date): Promise<void> {
    this.#values.set(key, value, expiresAt, now);
  }

  async get(key: string, now: Date): Promise<string | undefined> {
    return this.#values.get(key, now);
  }

  async delete(key: string): Promise<void> {
    this.#values.take(key, new Date(0));
  }
}

/**
 * An in-process {@link ThrottleStore}. A full map drops the oldest windows first: under a flood of distinct
 * keys some counters restart, which the throttle's callers must tolerate anyway (a restart resets them too).
 *
 * @example
 * ```ts
 * const throttle = new MemoryThrottleStore();
 * await throttle.hit('admin-login:203.0.113.7', 15 * 60_000, new Date()); // 1
 * ```
 */
export class MemoryThrottleStore implements ThrottleStore {
  readonly #windows: ExpiringMap<{ hits: number }>;

  constructor(options: MemoryCacheOptions = {}) {
    this.#windows = new ExpiringMap<{ hits: number }>(capOf(options));
  }

  async hit(key: string, windowMs: number, now: Date): Promise<number> {
    const open = this.#windows.get(key, now);
    if (open !== undefined) return ++open.hits;
    this.#windows.set(key, { hits: 1 }, new Date(now.getTime() + windowMs), now);
    return 1;
  }

  async count(key: string, now: Date): Promise<number> {
    return this.#windows.get(key, now)?.hits ?? 0;
  }

  async reset(key: string): Promise<void> {
    this.#windows.take(key, new Date(0));
  }
}

/**
 * An in-process {@link LockStore}: enough for one process, which is all `memory:` serves.
 *
 * @example
 * ```ts
 * const locks = new MemoryLockStore();
 * await locks.acquire('metadata-refresh:acme', 'instance-1', new Date(Date.now() + 300_000), new Date()); // true
 * ```
 */
export class MemoryLockStore implements LockStore {
  readonly #leases = new Map<string, { owner: string; expiresAt: number }>();

  async acquire(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    const held = this.#leases.get(name);
    if (held !== undefined && held.owner !== owner && held.expiresAt > now.getTime()) return false;
    this.#leases.set(name, { owner, expiresAt: expiresAt.getTime() });
    return true;
  }

  async release(name: string, owner: string): Promise<boolean> {
    if (this.#leases.get(name)?.owner !== owner) return false;
    return this.#leases.delete(name);
  }
}

function capOf(options: MemoryCacheOptions): { maxEntries?: number } {
  return options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries };
}
