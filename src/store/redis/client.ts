/**
 * The Redis client the Redis stores share: node-redis with our Lua scripts registered, and the key layout.
 *
 * Every script checks expiry against the caller's `now` and sets a relative TTL (`expiresAt - now`), never
 * an absolute `PEXPIREAT`: the application's clock is the one the SAML checks use, and Redis only needs the
 * TTL to free memory. Scripts touch several keys; they run on one server, a Redis Cluster or a primary found
 * through Sentinel because every key of a deployment shares one hash slot (see {@link RedisKeys}).
 */
import { type CommandParser, createClient, createCluster, createSentinel, defineScript } from '@redis/client';
import { InvalidOptionError } from '../../core/errors.ts';
import { redactUrl } from '../redact.ts';
import { parseRedisTarget, type RedisNodeAddress, type RedisTarget } from './target.ts';

/**
 * `remember`: KEYS = [replay key]; ARGV = [expiresAt ms, now ms, ttl ms]. Returns 1 when the key was new or
 * its stored expiry had passed (then records it), 0 while it is live. A refused replay leaves the first
 * expiry as it was.
 */
const REMEMBER = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `
    local stored = redis.call('GET', KEYS[1])
    if stored and tonumber(stored) > tonumber(ARGV[2]) then return 0 end
    if tonumber(ARGV[3]) <= 0 then
      redis.call('DEL', KEYS[1])
    else
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
    end
    return 1`,
  parseCommand(parser: CommandParser, key: string, expiresAt: number, now: number, ttl: number) {
    parser.pushKey(key);
    parser.push(String(expiresAt), String(now), String(ttl));
  },
  transformReply: (reply: unknown) => reply === 1,
});

/**
 * `saveRequest`: KEYS = [request key, browser index]; ARGV = [json, ttl ms, request id, createdAt ms, cap].
 * Stores the request with its TTL and indexes it under its browser in a sorted set (score: createdAt) whose
 * TTL covers its longest-lived member. The index keeps at most `cap` members, dropping the oldest, so one
 * browser key flooded with logins cannot make `listForBrowser` read without bound.
 */
const SAVE_REQUEST = defineScript({
  NUMBER_OF_KEYS: 2,
  SCRIPT: `
    local ttl = tonumber(ARGV[2])
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
    redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
    local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
    if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1) end
    if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
    return 1`,
  parseCommand(
    parser: CommandParser,
    requestKey: string,
    browserKey: string,
    json: string,
    ttl: number,
    requestId: string,
    createdAt: number,
    cap: number,
  ) {
    parser.pushKeys([requestKey, browserKey]);
    parser.push(json, String(ttl), requestId, String(createdAt), String(cap));
  },
  transformReply: (reply: unknown) => reply,
});

/**
 * `createSession`: KEYS = [session hash, NameID index, expiry index]; ARGV = [id, ttl ms, createdAt ms,
 * expiresAt ms, field, value, ...]. Replaces the hash, sets its TTL, adds the id to the (connection, NameID)
 * index (score: createdAt, TTL covering its longest member) and to the expiry index (score: expiresAt) that
 * `purgeExpired` reads. The expiry index has no TTL of its own, so each create also drops the entries that
 * had expired by `createdAt`: their hashes are gone already (Redis expired them), and the index stays near
 * the live set even when nobody calls `purgeExpired`.
 */
const CREATE_SESSION = defineScript({
  NUMBER_OF_KEYS: 3,
  SCRIPT: `
    local ttl = tonumber(ARGV[2])
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], unpack(ARGV, 5))
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
    if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
    redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
    return 1`,
  parseCommand(
    parser: CommandParser,
    keys: [string, string, string],
    id: string,
    ttl: number,
    createdAt: number,
    expiresAt: number,
    fields: string[],
  ) {
    parser.pushKeys(keys);
    parser.push(id, String(ttl), String(createdAt), String(expiresAt), ...fields);
  },
  transformReply: (reply: unknown) => reply,
});

const SCRIPTS = { remember: REMEMBER, saveRequest: SAVE_REQUEST, createSession: CREATE_SESSION };

/** The longest wait between two reconnection attempts once connected (issue #11: recover within 2 s). */
const RECONNECT_CAP_MS = 500;

/** How each node connection behaves, the same whether the target is one server, a Cluster or Sentinel. */
function nodeOptions(isReady: () => boolean) {
  return {
    // Fail a command at once while Redis is unreachable rather than queueing it: a login should get an
    // error page, not hang until Redis returns.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5_000,
      // Before the first connection, give up at once so a wrong REDIS_URL fails at startup; afterwards keep
      // reconnecting with a backoff capped at 500 ms, so that sign-ins resume within a second of Redis's
      // return however long it was gone (a refused TCP connect every 500 ms costs nothing).
      reconnectStrategy: (retries: number, cause: Error) =>
        isReady() ? Math.min(50 * 2 ** retries, RECONNECT_CAP_MS) : cause,
    },
  } as const;
}

function standalone(url: string, isReady: () => boolean) {
  return createClient({ url, scripts: SCRIPTS, ...nodeOptions(isReady) });
}

function cluster(target: Extract<RedisTarget, { kind: 'cluster' }>, isReady: () => boolean) {
  const scheme = target.tls ? 'rediss' : 'redis';
  const { socket, ...rest } = nodeOptions(isReady);
  return createCluster({
    rootNodes: target.nodes.map((n) => ({ url: `${scheme}://${hostOf(n)}:${n.port}` })),
    defaults: {
      ...rest,
      socket: { ...socket, ...(target.tls ? { tls: true as const } : {}) },
      ...credentialsOf(target),
    },
    scripts: SCRIPTS,
    // Every key of a deployment shares one hash slot (see RedisKeys), so a script or MULTI never spans nodes.
  });
}

function sentinel(
  target: Extract<RedisTarget, { kind: 'sentinel' }>,
  sentinelPassword: string | undefined,
  isReady: () => boolean,
) {
  const { socket, ...rest } = nodeOptions(isReady);
  const tls = target.tls ? { tls: true as const } : {};
  return createSentinel({
    name: target.masterName,
    sentinelRootNodes: target.sentinels,
    nodeClientOptions: {
      ...rest,
      socket: { ...socket, ...tls },
      ...credentialsOf(target),
      ...(target.database === undefined ? {} : { database: target.database }),
    },
    sentinelClientOptions: {
      socket: { connectTimeout: socket.connectTimeout, ...tls },
      ...(sentinelPassword === undefined ? {} : { password: sentinelPassword }),
    },
    scripts: SCRIPTS,
  });
}

function credentialsOf(target: { username?: string; password?: string }) {
  return {
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
}

function hostOf(node: RedisNodeAddress): string {
  return node.host.includes(':') ? `[${node.host}]` : node.host;
}

/**
 * A connected node-redis client with the stores' scripts registered (`remember`, `saveRequest`, ...): a plain
 * client, a Cluster client or a Sentinel client. The stores use only what the three have in common: the
 * commands, the scripts and MULTI, all on keys of one hash slot.
 */
export type RedisStoreClient =
  | ReturnType<typeof standalone>
  | ReturnType<typeof cluster>
  | ReturnType<typeof sentinel>;

export interface RedisClientOptions {
  /**
   * Called with connection errors (Redis restarted, network cut, a failover). node-redis reconnects by
   * itself; without a listener such an error would crash the process, so the default reports it with
   * `process.emitWarning`, once per outage.
   */
  onError?: (error: Error) => void;
  /** The Sentinels' own password (REDIS_SENTINEL_PASSWORD), when they require one; for `redis+sentinel://`. */
  sentinelPassword?: string;
}

/**
 * Connects to `url`: `redis://` or `rediss://` (TLS) for one server (user, password and database number as
 * usual in the URL), `redis+cluster://host:port[,host:port…]` for a Redis Cluster,
 * `redis+sentinel://host:port[,host:port…]/master-name` for a primary found through Sentinel (see
 * {@link parseRedisTarget}). Fails fast, with the password redacted, when Redis cannot be reached.
 *
 * @example
 * ```ts
 * const client = await openRedisClient('redis://:secret@cache.internal:6379/0');
 * const shards = await openRedisClient('rediss+cluster://:secret@clustercfg.cache.internal:6379');
 * ```
 */
export async function openRedisClient(
  url: string,
  options: RedisClientOptions = {},
): Promise<RedisStoreClient> {
  const target = parseRedisTarget(url);
  const warner = warnOncePerOutage();
  const onError = options.onError ?? warner.report;
  let ready = false;
  const isReady = () => ready;
  const client: RedisStoreClient =
    target.kind === 'cluster'
      ? cluster(target, isReady)
      : target.kind === 'sentinel'
        ? sentinel(target, options.sentinelPassword, isReady)
        : standalone(target.url, isReady);
  // Before the first connection, connect() rejects with the same error: report it once, there.
  const report = (error: unknown) => {
    if (ready) onError(error instanceof Error ? error : new Error(String(error)));
  };
  client.on('error', report);
  // A Cluster reports each node's errors apart from its own.
  if (target.kind === 'cluster') client.on('node-error', report).on('node-ready', warner.reset);
  client.on('ready', warner.reset);
  try {
    await client.connect();
    ready = true;
  } catch (error) {
    await Promise.resolve(client.destroy()).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Connecting to Redis at ${redactUrl(url)} failed: ${reason}`, { cause: error });
  }
  return client;
}

/**
 * Redis key names, all under one prefix so several deployments (or tests) can share a server.
 *
 * The prefix carries a Redis Cluster hash tag (`{saml-sp}:request:…`): Cluster hashes only the part between
 * the first `{` and the next `}`, so every key of a deployment lives in one hash slot, and every script and
 * MULTI (which touch a request and its browser index, a session and its indexes, a replay key and whatever
 * guards it) stays on one node, atomic. The same layout runs on a single server and behind Sentinel. The cost
 * is that one deployment's keys do not spread over the shards; its state is small (a few hundred bytes per
 * pending login or session) and one shard serves far more sign-ins per second than an IdP issues. Deployments
 * with distinct prefixes land on distinct slots.
 */
export class RedisKeys {
  readonly prefix: string;

  /** `prefix` as given when it already holds a hash tag (`{acme}:`), else wrapped in one (`acme:` → `{acme}:`). */
  constructor(prefix: string) {
    this.prefix = withHashTag(prefix);
  }

  request(requestId: string): string {
    return `${this.prefix}request:${requestId}`;
  }

  requestsOfBrowser(browserKey: string): string {
    return `${this.prefix}requests-by-browser:${browserKey}`;
  }

  replay(key: string): string {
    return `${this.prefix}replay:${key}`;
  }

  session(id: string): string {
    return `${this.prefix}session:${id}`;
  }

  /** JSON keeps the two parts apart whatever characters they hold. */
  sessionsOfNameId(connectionId: string, nameIdValue: string): string {
    return `${this.prefix}sessions-by-name-id:${JSON.stringify([connectionId, nameIdValue])}`;
  }

  sessionsByExpiry(): string {
    return `${this.prefix}sessions-by-expiry`;
  }
}

/**
 * The prefix with a hash tag as Redis Cluster reads one: the first `{`, then the first `}` after it, with
 * something in between. A prefix that has one is kept; any other is wrapped, so that no `{` in a prefix can
 * pair with a `}` in an ID and scatter the keys.
 */
export function withHashTag(prefix: string): string {
  if (prefix === '') throw new InvalidOptionError('keyPrefix must not be empty');
  const open = prefix.indexOf('{');
  const close = open === -1 ? -1 : prefix.indexOf('}', open + 1);
  if (close > open + 1) return prefix;
  return prefix.endsWith(':') ? `{${prefix.slice(0, -1)}}:` : `{${prefix}}`;
}

/** A reconnecting client reports the same error every attempt; one warning per outage is enough. */
function warnOncePerOutage(): { report(error: Error): void; reset(): void } {
  let last = '';
  return {
    report(error) {
      if (error.message === last) return;
      last = error.message;
      process.emitWarning(`Redis: ${error.message}`, { code: 'SAML_SP_STORE_REDIS' });
    },
    reset() {
      last = '';
    },
  };
}
