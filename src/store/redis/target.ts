/**
 * REDIS_URL, read without connecting: one Redis (or a primary behind a fixed address), a Redis Cluster, or a
 * primary found through Sentinel. Pure: no sockets, no process.env, so config.ts can validate with it.
 *
 * | form | what it names |
 * |---|---|
 * | `redis://[user:password@]host:port[/db]`, `rediss://…` | one server (`rediss` is TLS) |
 * | `redis+cluster://[user:password@]host:port[,host:port…]`, `rediss+cluster://…` | a Redis Cluster: the seed nodes (one is enough, e.g. a managed service's configuration endpoint); the rest is discovered |
 * | `redis+sentinel://[user:password@]host:port[,host:port…]/master-name[/db]`, `rediss+sentinel://…` | the primary that the Sentinels at these addresses monitor under `master-name`; the credentials are the data nodes' (a Sentinel password comes separately: REDIS_SENTINEL_PASSWORD) |
 */
import { InvalidOptionError } from '../../core/errors.ts';
import { redactUrl } from '../redact.ts';

/** One `host:port` of a seed list. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
}

/** A parsed REDIS_URL. `url` is always the trimmed input, for logs after {@link redactUrl}. */
export type RedisTarget =
  | { kind: 'standalone'; url: string }
  | ({ kind: 'cluster'; url: string; tls: boolean; nodes: RedisNodeAddress[] } & Credentials)
  | ({
      kind: 'sentinel';
      url: string;
      tls: boolean;
      sentinels: RedisNodeAddress[];
      masterName: string;
      database?: number;
    } & Credentials);

const FORMS =
  '"redis://host:port", "rediss://…", "redis+cluster://host:port[,host:port…]" or ' +
  '"redis+sentinel://host:port[,host:port…]/master-name"';

/**
 * Reads REDIS_URL. Throws {@link InvalidOptionError} (never echoing a password) for anything else.
 *
 * @example
 * ```ts
 * parseRedisTarget('redis+sentinel://:pw@10.0.0.5:26379,10.0.0.6:26379/mymaster');
 * // { kind: 'sentinel', sentinels: [{ host: '10.0.0.5', port: 26379 }, …], masterName: 'mymaster', password: 'pw', … }
 * ```
 */
export function parseRedisTarget(redisUrl: string): RedisTarget {
  const url = redisUrl.trim();
  const match = /^(rediss?)(?:\+(cluster|sentinel))?:\/\/(.*)$/is.exec(url);
  if (match === null || match[3] === '') fail(`REDIS_URL must be ${FORMS}; got "${redactUrl(url)}"`);
  const [, scheme = '', mode, rest = ''] = match;
  const tls = scheme.toLowerCase() === 'rediss';
  if (mode === undefined) return { kind: 'standalone', url };

  // WHATWG URL parsing does not take a comma-separated host list: split userinfo, hosts and path by hand.
  const at = rest.lastIndexOf('@', firstOf(rest, '/?#'));
  const userinfo = at === -1 ? undefined : rest.slice(0, at);
  const afterUser = rest.slice(at + 1);
  const hostEnd = firstOf(afterUser, '/?#');
  const hostList = afterUser.slice(0, hostEnd);
  const tail = afterUser.slice(hostEnd);
  // A query may hold a secret (`?password=`): show nothing from it.
  if (/[?#]/.test(tail))
    fail(
      `REDIS_URL takes no query or fragment; got "${redactUrl(url.slice(0, url.length - tail.length + firstOf(tail, '?#')))}…"`,
    );
  const nodes = hostList.split(',').map((h) => parseAddress(h, url));
  const credentials = parseUserinfo(userinfo);
  const path = tail.split('/').filter((part, i) => i > 0 || part !== '');

  if (mode.toLowerCase() === 'cluster') {
    // Redis Cluster has database 0 only.
    if (path.length > 0)
      fail(`a redis+cluster:// URL has no path (Cluster has database 0 only); got "${redactUrl(url)}"`);
    return { kind: 'cluster', url, tls, nodes, ...credentials };
  }
  const [masterName, db, ...extra] = path.map((p) => decodeURIComponent(p));
  if (masterName === undefined || masterName === '' || extra.length > 0) {
    fail(`a redis+sentinel:// URL names the monitored master: …/master-name[/db]; got "${redactUrl(url)}"`);
  }
  const database = db === undefined ? undefined : Number(db);
  if (database !== undefined && !(Number.isInteger(database) && database >= 0 && /^\d+$/.test(db ?? ''))) {
    fail(`the database in a redis+sentinel:// URL is a number; got "${redactUrl(url)}"`);
  }
  return {
    kind: 'sentinel',
    url,
    tls,
    sentinels: nodes,
    masterName,
    ...(database === undefined ? {} : { database }),
    ...credentials,
  };
}

function parseAddress(text: string, url: string): RedisNodeAddress {
  // host:port, or [v6]:port. The port is required: 6379 and 26379 are both plausible, so guessing would hide a typo.
  const match = /^(?:\[([0-9a-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/i.exec(text.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (match === null || host === undefined || !(port > 0 && port < 65536)) {
    fail(`every node in REDIS_URL is host:port; got "${redactUrl(text.trim())}" in "${redactUrl(url)}"`);
  }
  return { host, port };
}

function parseUserinfo(userinfo: string | undefined): Credentials {
  if (userinfo === undefined || userinfo === '') return {};
  const colon = userinfo.indexOf(':');
  const username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return {
    ...(username === '' ? {} : { username }),
    ...(password === undefined || password === '' ? {} : { password }),
  };
}

function firstOf(text: string, chars: string): number {
  for (let i = 0; i < text.length; i++) if (chars.includes(text[i] ?? '')) return i;
  return text.length;
}

function fail(message: string): never {
  throw new InvalidOptionError(message);
}
