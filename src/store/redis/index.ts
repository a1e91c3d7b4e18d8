/** The Redis stores: request IDs, the replay cache and sessions, shared by every instance of a deployment. */
import { guardStore } from '../errors.ts';
import type { StoreCheck } from '../readiness.ts';
import type { Stores } from '../types.ts';
import { openRedisClient, type RedisClientOptions, RedisKeys, type RedisStoreClient } from './client.ts';
import { classifyRedisError } from './errors.ts';
import { RedisReplayCache } from './replay.ts';
import { RedisRequestIdStore, type RedisRequestIdStoreOptions } from './requests.ts';
import { RedisSessionStore } from './sessions.ts';
import { RedisLockStore, RedisStateStore, RedisThrottleStore } from './shared-state.ts';

export {
  openRedisClient,
  type RedisClientOptions,
  RedisKeys,
  type RedisStoreClient,
  withHashTag,
} from './client.ts';
export { classifyRedisError } from './errors.ts';
export { DEFAULT_MAX_REQUESTS_PER_BROWSER, type RedisRequestIdStoreOptions } from './requests.ts';
export { parseRedisTarget, type RedisNodeAddress, type RedisTarget } from './target.ts';
export {
  RedisLockStore,
  RedisReplayCache,
  RedisRequestIdStore,
  RedisSessionStore,
  RedisStateStore,
  RedisThrottleStore,
};

/** The prefix of every key the stores write, unless `keyPrefix` says otherwise. */
export const DEFAULT_KEY_PREFIX = 'saml-sp:';

export interface RedisStoresOptions extends RedisClientOptions, RedisRequestIdStoreOptions {
  /**
   * Prefix of every key (default {@link DEFAULT_KEY_PREFIX}): lets several deployments share one Redis. It
   * becomes a Redis Cluster hash tag (`acme:` → `{acme}:`), see {@link RedisKeys}.
   */
  keyPrefix?: string;
}

/** The state that must be shared between instances; connections and users stay in the database. */
export interface RedisStores
  extends Pick<Stores, 'requests' | 'replay' | 'sessions'>,
    Required<Pick<Stores, 'state' | 'throttle' | 'locks'>> {
  client: RedisStoreClient;
  /** Readiness (`GET /readyz`): a PING. */
  check: StoreCheck;
  /** Closes the client, letting commands already sent finish. Closing twice is harmless. */
  close(): Promise<void>;
}

/**
 * Connects to `url` (`redis://`, `rediss://`, `redis+cluster://…` or `redis+sentinel://…/master-name`, see
 * {@link parseRedisTarget}) and returns the request-ID store, the replay cache and the
 * session store on one client. A call that fails because Redis cannot be reached rejects with a
 * StoreUnavailableError (`STORE_UNAVAILABLE`).
 *
 * @example
 * ```ts
 * const redis = await openRedisStores('redis://cache.internal:6379/0', { keyPrefix: 'acme-sp:' });
 * try { await redis.replay.remember('assertion:_a1', notOnOrAfter, new Date()); } finally { await redis.close(); }
 * ```
 */
export async function openRedisStores(url: string, options: RedisStoresOptions = {}): Promise<RedisStores> {
  const client = await openRedisClient(url, options);
  const keys = new RedisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  let closed: Promise<void> | undefined;
  return {
    client,
    requests: guardStore(new RedisRequestIdStore(client, keys, options), classifyRedisError),
    replay: guardStore(new RedisReplayCache(client, keys), classifyRedisError),
    sessions: guardStore(new RedisSessionStore(client, keys), classifyRedisError),
    state: guardStore(new RedisStateStore(client, keys), classifyRedisError),
    throttle: guardStore(new RedisThrottleStore(client, keys), classifyRedisError),
    locks: guardStore(new RedisLockStore(client, keys), classifyRedisError),
    check: {
      name: 'redis',
      backend: 'redis',
      run: async () => {
        try {
          await client.ping();
          return {};
        } catch (error) {
          throw classifyRedisError(error) ?? error;
        }
      },
    },
    close: () => {
      closed ??= closeClient(client);
      return closed;
    },
  };
}

async function closeClient(client: RedisStoreClient): Promise<void> {
  if (!client.isOpen) return;
  // Mid-reconnect there is nothing to drain, and close() would wait for a server that may not come back.
  if (client.isReady) await client.close();
  else client.destroy();
}
