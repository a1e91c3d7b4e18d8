/**
 * Choosing the storage backends from DATABASE_URL and REDIS_URL. This is the one place that maps URLs to
 * adapters: {@link parseDatabaseUrl} and {@link parseRedisUrl} read them, {@link openStores} opens them.
 */
import path from 'node:path';
import { InvalidOptionError } from '../core/errors.ts';
import { createMemoryStores } from './memory/index.ts';
import { redactUrl } from './redact.ts';
import type { RedisStores } from './redis/index.ts';
import { parseRedisTarget } from './redis/target.ts';
import type { Stores } from './types.ts';

export type * from './types.ts';

export interface OpenStoresOptions {
  /**
   * `'sqlite:PATH'` (relative to the working directory, or absolute; parent directories are created),
   * `'sqlite::memory:'` for a throwaway SQLite database, `'memory:'` for everything in process memory, or
   * `'postgres://user:password@host:5432/db'` (also `postgresql://`) for PostgreSQL, which several instances
   * can share.
   */
  databaseUrl: string;
  /**
   * `'redis://…'` or `'rediss://…'` (TLS) for one server, `'redis+cluster://host:port[,host:port…]'` for a
   * Redis Cluster, `'redis+sentinel://host:port[,host:port…]/master-name'` for a primary found through
   * Sentinel (`rediss+…` for TLS): pending request IDs and the short-lived shared state (admin sessions, test
   * sign-in results, the admin sign-in throttle, locks) then live in Redis, shared by every instance.
   * Sessions and the replay record stay in a durable database (SQLite file or PostgreSQL), so a Redis
   * restart, failover or flush signs nobody out and re-opens no assertion to replay; only beside `memory:` do
   * they live in Redis too. Unset: everything stays beside the database (see `caches`).
   */
  redisUrl?: string | undefined;
  /** The Sentinels' own password, when they require one (only with `redis+sentinel://`). */
  redisSentinelPassword?: string | undefined;
  /**
   * Without Redis, where pending request IDs live: `'memory'` ("in-process caches": one instance only) or
   * `'database'` (they survive a restart, and PostgreSQL shares them between instances). Defaults to
   * `'memory'` for SQLite and `'database'` for PostgreSQL. Ignored for `memory:`. The replay record is not a
   * cache: it is always kept in the database (see the README, "What survives a restart").
   */
  caches?: 'memory' | 'database';
  /**
   * Called with connection errors that belong to no request (an idle PostgreSQL connection dropped, Redis
   * reconnecting). Defaults to `process.emitWarning`.
   */
  onError?: (error: Error) => void;
}

/** A parsed DATABASE_URL. */
export type DatabaseTarget =
  | { kind: 'memory' }
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

/**
 * Parses DATABASE_URL without opening anything. Relative SQLite paths resolve against `cwd`.
 *
 * @example
 * ```ts
 * parseDatabaseUrl('sqlite:data/saml-sp.db', '/srv/app'); // { kind: 'sqlite', file: '/srv/app/data/saml-sp.db' }
 * ```
 */
export function parseDatabaseUrl(databaseUrl: string, cwd: string = process.cwd()): DatabaseTarget {
  const url = databaseUrl.trim();
  if (url === 'memory:') return { kind: 'memory' };
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    // Accept the URL spelling too: sqlite:///abs/path.db and sqlite://rel/path.db.
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '')
      throw new InvalidOptionError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:data/saml-sp.db');
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  throw new InvalidOptionError(
    `DATABASE_URL must start with "sqlite:", "postgres://" or be "memory:"; got "${redactUrl(url)}"`,
  );
}

/**
 * Checks REDIS_URL without connecting: `redis://` or `rediss://` (TLS), `redis+cluster://host:port[,…]` or
 * `redis+sentinel://host:port[,…]/master-name` (see {@link parseRedisTarget}). Returns it trimmed.
 *
 * @example
 * ```ts
 * parseRedisUrl('redis://cache.internal:6379/0'); // 'redis://cache.internal:6379/0'
 * ```
 */
export function parseRedisUrl(redisUrl: string): string {
  return parseRedisTarget(redisUrl).url;
}

/**
 * Opens the stores the URLs name:
 * - `memory:`: everything in memory;
 * - `sqlite:PATH`: connections, users, sessions and the replay record in SQLite, request IDs in memory
 *   unless `caches: 'database'`;
 * - `postgres://`: everything in PostgreSQL, request IDs in memory if `caches: 'memory'`;
 * - with `redisUrl`: request IDs and the shared state in Redis; sessions and the replay record stay in the
 *   database, except beside `memory:` (nothing durable there), where they move to Redis too.
 *
 * `close()` closes the database (ends the PostgreSQL pool) and the Redis client.
 *
 * @example
 * ```ts
 * const stores = await openStores({ databaseUrl: 'postgres://sp@db/sp', redisUrl: 'redis://cache:6379' });
 * try { await stores.connections.list(); } finally { await stores.close(); }
 * ```
 */
export async function openStores(options: OpenStoresOptions): Promise<Stores> {
  const target = parseDatabaseUrl(options.databaseUrl);
  const redisUrl = options.redisUrl === undefined ? undefined : parseRedisUrl(options.redisUrl);
  const onError = options.onError === undefined ? {} : { onError: options.onError };
  const sentinelPassword =
    options.redisSentinelPassword === undefined ? {} : { sentinelPassword: options.redisSentinelPassword };
  const database = await openDatabase(target, {
    ...onError,
    ...(options.caches ? { caches: options.caches } : {}),
  });
  if (redisUrl === undefined) return database;
  let redis: RedisStores;
  try {
    const { openRedisStores } = await loadBackend('@redis/client', () => import('./redis/index.ts'));
    redis = await openRedisStores(redisUrl, { ...onError, ...sentinelPassword });
  } catch (error) {
    await database.close();
    throw error;
  }
  // Sessions and the replay record must outlive a Redis restart (issue #11): they stay in a durable database,
  // and only `memory:`, which keeps nothing across a restart anyway, hands them to Redis.
  const durable = target.kind !== 'memory';
  return {
    // Connections, users and connection health always stay in the database.
    ...database,
    requests: redis.requests,
    state: redis.state,
    throttle: redis.throttle,
    locks: redis.locks,
    ...(durable ? {} : { sessions: redis.sessions, replay: redis.replay }),
    checks: [...(database.checks ?? []), redis.check],
    close: async () => {
      await Promise.all([redis.close(), database.close()]);
    },
  };
}

// Each backend loads on first use, so an app only imports the driver its URLs name: a SQLite user never
// loads pg or @redis/client (optional peer dependencies), and neither loads node:sqlite unless asked.
async function openDatabase(
  target: DatabaseTarget,
  options: { caches?: 'memory' | 'database'; onError?: (error: Error) => void },
): Promise<Stores> {
  switch (target.kind) {
    case 'memory':
      return createMemoryStores();
    case 'sqlite': {
      const { openSqliteStores } = await import('./sqlite/index.ts');
      return openSqliteStores(target.file, { caches: options.caches ?? 'memory' });
    }
    case 'postgres': {
      const { openPostgresStores } = await loadBackend('pg', () => import('./postgres/index.ts'));
      return openPostgresStores(target.url, options);
    }
  }
}

/** Imports a backend whose driver is an optional peer dependency, naming the package to install when missing. */
async function loadBackend<T>(driver: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${driver}'`)) {
      const message = `This store needs the "${driver}" package, which is not installed: npm install ${driver}`;
      throw new Error(message, { cause: error });
    }
    throw error;
  }
}
