/** The replay cache in Redis, shared by every instance. */
import type { ReplayCache } from '../types.ts';
import type { RedisKeys, RedisStoreClient } from './client.ts';

/**
 * A Redis {@link ReplayCache}: one key per remembered value, with a TTL of `expiresAt - now`.
 *
 * Not a bare `SET NX PX`: that would trust Redis's clock to decide when an entry has expired, while the
 * SAML checks run on the application's clock (injectable, and possibly skewed from Redis's). A short Lua
 * script reads the stored expiry, compares it with the caller's `now`, and writes only when the key is new
 * or expired; Redis runs scripts atomically, so of many instances remembering one key at once exactly one
 * gets true.
 *
 * @example
 * ```ts
 * const replay = new RedisReplayCache(client, new RedisKeys('saml-sp:'));
 * await replay.remember(`assertion:${id}`, notOnOrAfter, new Date()); // true, then false
 * ```
 */
export class RedisReplayCache implements ReplayCache {
  readonly #client: RedisStoreClient;
  readonly #keys: RedisKeys;

  constructor(client: RedisStoreClient, keys: RedisKeys) {
    this.#client = client;
    this.#keys = keys;
  }

  async remember(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    const at = expiresAt.getTime();
    const t = now.getTime();
    return this.#client.remember(this.#keys.replay(key), at, t, at - t);
  }
}
