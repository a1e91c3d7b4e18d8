/**
 * The shared-state ports in Redis, shared by every instance. Each operation touches exactly one key, so
 * they run unchanged on Redis Cluster. As in the other Redis stores, expiry is judged against the caller's
 * clock (the stored expiry travels with the value) and the key's TTL only frees memory.
 *
 * Losing these keys (a Redis restart without persistence) signs admins out of the admin page, forgets test
 * sign-in results, restarts the throttle's windows and frees the leases: nothing a user or an assertion
 * depends on (see the README, "What survives a restart").
 */
import type { LockStore, StateStore, ThrottleStore } from '../shared-state.ts';
import type { RedisKeys, RedisStoreClient } from './client.ts';

/**
 * `hit`: KEYS = [throttle hash]; ARGV = [now ms, window ms]. Opens a new window (hits 1) when there is
 * none or the stored one has closed by `now`, else counts one more hit; returns the hits.
 */
const HIT = `
  local now = tonumber(ARGV[1])
  local window = tonumber(ARGV[2])
  local ends = tonumber(redis.call('HGET', KEYS[1], 'e'))
  if not ends or ends <= now then
    redis.call('HSET', KEYS[1], 'n', 1, 'e', now + window)
    redis.call('PEXPIRE', KEYS[1], window)
    return 1
  end
  return redis.call('HINCRBY', KEYS[1], 'n', 1)`;

/**
 * `acquire`: KEYS = [lease hash]; ARGV = [owner, expiresAt ms, now ms, ttl ms]. Takes the lease unless
 * another owner holds it live at `now`; returns 1 when the caller holds it afterwards.
 */
const ACQUIRE = `
  local owner = redis.call('HGET', KEYS[1], 'o')
  local ends = tonumber(redis.call('HGET', KEYS[1], 'e'))
  if owner and owner ~= ARGV[1] and ends and ends > tonumber(ARGV[3]) then return 0 end
  redis.call('HSET', KEYS[1], 'o', ARGV[1], 'e', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1`;

/** `release`: KEYS = [lease hash]; ARGV = [owner]. Deletes the lease only when the caller owns it. */
const RELEASE = `
  if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
  return 0`;

/** Keys of the shared state, under the stores' prefix. */
function key(keys: RedisKeys, kind: 'state' | 'throttle' | 'lease', name: string): string {
  return `${keys.prefix}${kind}:${name}`;
}

/**
 * A Redis {@link StateStore}: one string key per entry holding `[expiresAt, value]` as JSON.
 *
 * @example
 * ```ts
 * const state = new RedisStateStore(client, new RedisKeys('saml-sp:'));
 * await state.set('admin-session:abc', '{}', new Date(Date.now() + 3_600_000), new Date());
 * ```
 */
export class RedisStateStore implements StateStore {
  readonly #client: RedisStoreClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisStoreClient, keys: RedisKeys) {
    this.#client = client;
    this.#keys = keys;
  }

  async set(name: string, value: string, expiresAt: Date, now: Date): Promise<void> {
    const ttl = expiresAt.getTime() - now.getTime();
    const k = key(this.#keys, 'state', name);
    if (ttl <= 0) {
      await this.#client.del(k);
      return;
    }
    await this.#client.set(k, JSON.stringify([expiresAt.getTime(), value]), {
      expiration: { type: 'PX', value: ttl },
    });
  }

  async get(name: string, now: Date): Promise<string | undefined> {
    const stored = await this.#client.get(key(this.#keys, 'state', name));
    if (stored === null) return undefined;
    const [expiresAt, value] = JSON.parse(stored) as [number, string];
    return expiresAt > now.getTime() ? value : undefined;
  }

  async delete(name: string): Promise<void> {
    await this.#client.del(key(this.#keys, 'state', name));
  }
}

/**
 * A Redis {@link ThrottleStore}: one hash per key (hits, window end), counted by a one-key script.
 *
 * @example
 * ```ts
 * const throttle = new RedisThrottleStore(client, new RedisKeys('saml-sp:'));
 * await throttle.hit('admin-login:203.0.113.7', 900_000, new Date()); // 1, 2, …
 * ```
 */
export class RedisThrottleStore implements ThrottleStore {
  readonly #client: RedisStoreClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisStoreClient, keys: RedisKeys) {
    this.#client = client;
    this.#keys = keys;
  }

  async hit(name: string, windowMs: number, now: Date): Promise<number> {
    const reply = await this.#client.eval(HIT, {
      keys: [key(this.#keys, 'throttle', name)],
      arguments: [String(now.getTime()), String(windowMs)],
    });
    return Number(reply);
  }

  async count(name: string, now: Date): Promise<number> {
    const [hits, ends] = await this.#client.hmGet(key(this.#keys, 'throttle', name), ['n', 'e']);
    return hits !== null && hits !== undefined && Number(ends) > now.getTime() ? Number(hits) : 0;
  }

  async reset(name: string): Promise<void> {
    await this.#client.del(key(this.#keys, 'throttle', name));
  }
}

/**
 * A Redis {@link LockStore}: one hash per lease (owner, expiry) with a TTL, taken and released by one-key
 * scripts, so only the owner can release it.
 *
 * @example
 * ```ts
 * const locks = new RedisLockStore(client, new RedisKeys('saml-sp:'));
 * await locks.acquire('metadata-refresh:acme', owner, new Date(Date.now() + 300_000), new Date());
 * ```
 */
export class RedisLockStore implements LockStore {
  readonly #client: RedisStoreClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisStoreClient, keys: RedisKeys) {
    this.#client = client;
    this.#keys = keys;
  }

  async acquire(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    const ttl = Math.max(1, expiresAt.getTime() - now.getTime());
    const reply = await this.#client.eval(ACQUIRE, {
      keys: [key(this.#keys, 'lease', name)],
      arguments: [owner, String(expiresAt.getTime()), String(now.getTime()), String(ttl)],
    });
    return Number(reply) === 1;
  }

  async release(name: string, owner: string): Promise<boolean> {
    const reply = await this.#client.eval(RELEASE, {
      keys: [key(this.#keys, 'lease', name)],
      arguments: [owner],
    });
    return Number(reply) === 1;
  }
}
