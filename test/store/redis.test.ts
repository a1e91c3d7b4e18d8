/**
 * The Redis adapters on a real redis-server this file starts on 127.0.0.1: the request-ID, replay and
 * session contracts, then what only Redis promises: TTLs on every key, lazy clean-up of index members,
 * bounded indexes, atomicity across clients (as across instances), and openStores with REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { InvalidOptionError } from '../../src/core/errors.ts';
import { openStores, parseRedisUrl } from '../../src/store/index.ts';
import { MemoryConnectionStore } from '../../src/store/memory/index.ts';
import {
  openRedisStores,
  parseRedisTarget,
  RedisKeys,
  RedisReplayCache,
  RedisRequestIdStore,
  RedisSessionStore,
  type RedisStores,
  withHashTag,
} from '../../src/store/redis/index.ts';
import {
  SqliteConnectionHealthStore,
  SqliteConnectionStore,
  SqliteReplayCache,
  SqliteSessionStore,
  SqliteUserStore,
} from '../../src/store/sqlite/index.ts';
import { type RunningServer, startRedis, unavailable } from '../helpers/db-servers.ts';
import { at, buildRequest, buildSession, type Factory } from './harness.ts';
import { replayCacheContract } from './replay.contract.ts';
import { requestIdStoreContract } from './requests.contract.ts';
import { sessionStoreContract } from './sessions.contract.ts';
import { lockStoreContract, stateStoreContract, throttleStoreContract } from './shared-state.contract.ts';

const skipRedis = unavailable('Redis') !== undefined;

let server: RunningServer;

/** Every test gets its own key prefix on the one server: a fresh, empty store without FLUSHALL. */
function open(options: { maxRequestsPerBrowser?: number } = {}): Promise<RedisStores> {
  return openRedisStores(server.url, { keyPrefix: `test:${randomUUID()}:`, ...options });
}

function factory<K extends 'requests' | 'replay' | 'sessions' | 'state' | 'throttle' | 'locks'>(
  key: K,
): Factory<RedisStores[K]> {
  return async () => {
    const stores = await open();
    return { store: stores[key], close: () => stores.close() };
  };
}

/** Milliseconds of a live Date: the keys' TTLs are relative to the caller's clock, so real time works too. */
function fromNow(ms: number): Date {
  return new Date(Date.now() + ms);
}

describe.skipIf(skipRedis)('Redis stores', () => {
  beforeAll(async () => {
    server = await startRedis();
    console.info(`Redis started in ${server.startupMs} ms (pid ${server.pid}, port ${server.port})`);
  });
  afterAll(async () => {
    await server?.stop();
  });

  requestIdStoreContract('redis', factory('requests'));
  replayCacheContract('redis', factory('replay'));
  sessionStoreContract('redis', factory('sessions'));
  stateStoreContract('redis', factory('state'));
  throttleStoreContract('redis', factory('throttle'));
  lockStoreContract('redis', factory('locks'));

  describe('keys and TTLs', () => {
    let stores: RedisStores;
    let keys: RedisKeys;
    beforeAll(async () => {
      const prefix = `test:${randomUUID()}:`;
      stores = await openRedisStores(server.url, { keyPrefix: prefix });
      keys = new RedisKeys(prefix);
    });
    afterAll(async () => {
      await stores?.close();
    });

    const near = (ttl: number, expected: number) => {
      expect(ttl).toBeGreaterThan(expected - 2_000);
      expect(ttl).toBeLessThanOrEqual(expected);
    };

    it('a request and its browser index expire with the request, by the caller clock', async () => {
      const request = buildRequest({ createdAt: at(0), expiresAt: at(600) });
      await stores.requests.save(request);
      near(await stores.client.pTTL(keys.request(request.requestId)), 600_000);
      near(await stores.client.pTTL(keys.requestsOfBrowser(request.browserKey)), 600_000);
      // A longer-lived request of the same browser extends the index; a shorter one does not shorten it.
      await stores.requests.save(buildRequest({ createdAt: at(0), expiresAt: at(900) }));
      await stores.requests.save(buildRequest({ createdAt: at(0), expiresAt: at(60) }));
      near(await stores.client.pTTL(keys.requestsOfBrowser(request.browserKey)), 900_000);
    });

    it('a replay key lives until expiresAt, measured from now', async () => {
      expect(await stores.replay.remember('assertion:_ttl', at(90), at(30))).toBe(true);
      near(await stores.client.pTTL(keys.replay('assertion:_ttl')), 60_000);
    });

    it('a session hash and its NameID index expire with the session; the expiry index is trimmed', async () => {
      const session = buildSession({ createdAt: at(0), expiresAt: at(3600) });
      await stores.sessions.create(session);
      near(await stores.client.pTTL(keys.session(session.id)), 3_600_000);
      near(await stores.client.pTTL(keys.sessionsOfNameId('acme', session.nameId.value)), 3_600_000);
      expect(await stores.client.zScore(keys.sessionsByExpiry(), session.id)).toBe(at(3600).getTime());
      // A session created after the first one expired drops the dead entry from the expiry index.
      await stores.sessions.create(buildSession({ createdAt: at(3600), expiresAt: at(7200) }));
      expect(await stores.client.zScore(keys.sessionsByExpiry(), session.id)).toBeNull();
    });

    it('records already expired when saved are not stored at all', async () => {
      const request = buildRequest({ createdAt: at(10), expiresAt: at(10) });
      await stores.requests.save(request);
      expect(await stores.client.exists(keys.request(request.requestId))).toBe(0);
      const session = buildSession({ createdAt: at(10), expiresAt: at(5) });
      await stores.sessions.create(session);
      expect(await stores.client.exists(keys.session(session.id))).toBe(0);
    });

    it('Redis removes expired keys on its own, and readers drop the dangling index members', async () => {
      const request = buildRequest({
        browserKey: 'short-lived',
        createdAt: new Date(),
        expiresAt: fromNow(50),
      });
      const session = buildSession({
        nameId: { value: 'short@acme.test' },
        createdAt: new Date(),
        expiresAt: fromNow(50),
      });
      await stores.requests.save(request);
      await stores.sessions.create(session);
      const index = keys.sessionsOfNameId('acme', 'short@acme.test');
      // Keep the indexes alive past their members, to see the readers clean them.
      await stores.client.pExpire(keys.requestsOfBrowser('short-lived'), 60_000);
      await stores.client.pExpire(index, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await stores.client.exists(keys.request(request.requestId))).toBe(0);
      expect(await stores.client.exists(keys.session(session.id))).toBe(0);

      const past = new Date(request.createdAt.getTime() + 1);
      expect(await stores.requests.listForBrowser('short-lived', 'acme', past)).toEqual([]);
      expect(await stores.client.zCard(keys.requestsOfBrowser('short-lived'))).toBe(0);
      expect(await stores.sessions.findByNameId('acme', 'short@acme.test', undefined, past)).toEqual([]);
      expect(await stores.client.zCard(index)).toBe(0);
    });

    it('delete removes the session from both indexes', async () => {
      const session = buildSession({ nameId: { value: 'del@acme.test' } });
      await stores.sessions.create(session);
      expect(await stores.sessions.delete(session.id)).toBe(true);
      expect(await stores.client.zCard(keys.sessionsOfNameId('acme', 'del@acme.test'))).toBe(0);
      expect(await stores.client.zScore(keys.sessionsByExpiry(), session.id)).toBeNull();
    });

    it('a session re-created under another NameID leaves the old index', async () => {
      const session = buildSession({ id: 'moved', nameId: { value: 'old@acme.test' } });
      await stores.sessions.create(session);
      await stores.sessions.create({ ...session, nameId: { value: 'new@acme.test' } });
      expect(await stores.sessions.findByNameId('acme', 'old@acme.test', undefined, at(1))).toEqual([]);
      expect(
        (await stores.sessions.findByNameId('acme', 'new@acme.test', [], at(1))).map((s) => s.id),
      ).toEqual(['moved']);
    });

    it('NameIDs with separators cannot collide with another connection', async () => {
      expect(keys.sessionsOfNameId('a:b', 'c')).not.toBe(keys.sessionsOfNameId('a', 'b:c'));
    });
  });

  describe('bounds', () => {
    it('one browser key lists at most maxRequestsPerBrowser requests, the newest', async () => {
      const stores = await open({ maxRequestsPerBrowser: 5 });
      try {
        const requests = Array.from({ length: 8 }, (_, i) =>
          buildRequest({ requestId: `_b${i}`, createdAt: at(i) }),
        );
        for (const r of requests) await stores.requests.save(r);
        const listed = await stores.requests.listForBrowser('browser-1', 'acme', at(10));
        expect(listed.map((r) => r.requestId)).toEqual(['_b3', '_b4', '_b5', '_b6', '_b7']);
        // Dropped from the list, not from the store: a direct lookup still finds the request.
        expect(await stores.requests.peek('_b0', at(10))).toEqual(requests[0]);
      } finally {
        await stores.close();
      }
    });

    it('purgeExpired works through more sessions than one batch', async () => {
      const stores = await open();
      try {
        for (let i = 0; i < 1_200; i++) await stores.sessions.create(buildSession({ expiresAt: at(100) }));
        const live = buildSession({ expiresAt: at(500) });
        await stores.sessions.create(live);
        expect(await stores.sessions.purgeExpired(at(100))).toBe(1_200);
        expect(await stores.sessions.findByNameId('acme', 'alice@acme.test', undefined, at(0))).toEqual([
          live,
        ]);
      } finally {
        await stores.close();
      }
    });
  });

  describe('across two clients, as across two instances', () => {
    let a: RedisStores;
    let b: RedisStores;
    beforeAll(async () => {
      const keyPrefix = `test:${randomUUID()}:`;
      [a, b] = await Promise.all([
        openRedisStores(server.url, { keyPrefix }),
        openRedisStores(server.url, { keyPrefix }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    it('every request ID is consumed exactly once when both race for all of them', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 200; i++) {
        const request = buildRequest({ requestId: `_race${i}` });
        await a.requests.save(request);
        ids.push(request.requestId);
      }
      const [wonA, wonB] = await Promise.all([
        Promise.all(ids.map((id) => a.requests.consume(id, at(1)))),
        Promise.all([...ids].reverse().map((id) => b.requests.consume(id, at(1)))),
      ]);
      const won = [...wonA, ...wonB].filter((r) => r !== undefined).map((r) => r.requestId);
      expect(won).toHaveLength(ids.length);
      expect(new Set(won).size).toBe(ids.length);
      expect(await a.requests.listForBrowser('browser-1', 'acme', at(1))).toEqual([]);
    });

    it('a replayed key is accepted by exactly one instance', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => `assertion:_r${i}`);
      const results = await Promise.all(
        keys.flatMap((k) => [a.replay.remember(k, at(60), at(0)), b.replay.remember(k, at(60), at(0))]),
      );
      expect(results.filter(Boolean)).toHaveLength(keys.length);
    });

    it('a session created on one instance is found and ended on the other', async () => {
      const session = buildSession();
      await a.sessions.create(session);
      expect(await b.sessions.findByNameId('acme', 'alice@acme.test', ['_idx-1'], at(1))).toEqual([session]);
      expect(await b.sessions.delete(session.id)).toBe(true);
      expect(await a.sessions.get(session.id, at(1))).toBeUndefined();
    });

    it('a different key prefix is a different store', async () => {
      const other = await open();
      try {
        const request = buildRequest();
        await a.requests.save(request);
        expect(await other.requests.peek(request.requestId, at(1))).toBeUndefined();
        expect(await b.requests.peek(request.requestId, at(1))).toEqual(request);
      } finally {
        await other.close();
      }
    });
  });

  describe('openStores with REDIS_URL', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-redis-open-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps connections, users, sessions and the replay record in SQLite, and puts requests in Redis', async () => {
      const stores = await openStores({
        databaseUrl: `sqlite:${path.join(dir, 'sp.db')}`,
        redisUrl: server.url,
      });
      try {
        expect(stores.connections).toBeInstanceOf(SqliteConnectionStore);
        expect(stores.users).toBeInstanceOf(SqliteUserStore);
        expect(stores.requests).toBeInstanceOf(RedisRequestIdStore);
        expect(stores.replay).toBeInstanceOf(SqliteReplayCache);
        expect(stores.sessions).toBeInstanceOf(SqliteSessionStore);
        expect(stores.connectionHealth).toBeInstanceOf(SqliteConnectionHealthStore);
      } finally {
        await stores.close();
        await stores.close();
      }
    });

    it('works beside memory: too, and then holds sessions and the replay cache (nothing else is shared)', async () => {
      const stores = await openStores({ databaseUrl: 'memory:', redisUrl: `  ${server.url}/1  ` });
      try {
        expect(stores.connections).toBeInstanceOf(MemoryConnectionStore);
        expect(stores.sessions).toBeInstanceOf(RedisSessionStore);
        expect(stores.replay).toBeInstanceOf(RedisReplayCache);
        expect(await stores.replay.remember(`k-${randomUUID()}`, at(60), at(0))).toBe(true);
      } finally {
        await stores.close();
      }
    });

    it('close() closes the Redis client', async () => {
      const stores = await openRedisStores(server.url);
      expect(stores.client.isOpen).toBe(true);
      await Promise.all([stores.close(), stores.close()]);
      expect(stores.client.isOpen).toBe(false);
    });
  });
});

describe('parseRedisUrl', () => {
  it('accepts redis:// and rediss://, and rejects anything else without echoing a password', () => {
    expect(parseRedisUrl(' redis://cache:6379/2 ')).toBe('redis://cache:6379/2');
    expect(parseRedisUrl('rediss://:pw@cache:6380')).toBe('rediss://:pw@cache:6380');
    for (const bad of ['', 'redis://', 'http://cache', 'cache:6379', 'memcached://:hunter2@cache']) {
      let error: unknown;
      try {
        parseRedisUrl(bad);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('REDIS_URL for a Cluster or Sentinel (parseRedisTarget)', () => {
  it('reads the seed nodes of redis+cluster://, with credentials and TLS', () => {
    expect(parseRedisTarget('redis+cluster://10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      kind: 'cluster',
      url: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001',
      tls: false,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
    });
    expect(parseRedisTarget(' rediss+cluster://app:s%40cret@clustercfg.cache.internal:6379 ')).toMatchObject({
      kind: 'cluster',
      tls: true,
      username: 'app',
      password: 's@cret',
      nodes: [{ host: 'clustercfg.cache.internal', port: 6379 }],
    });
    expect(parseRedisTarget('redis+cluster://[::1]:7000').kind).toBe('cluster');
  });

  it('reads the Sentinels, the master name and the database of redis+sentinel://', () => {
    expect(parseRedisTarget('redis+sentinel://:pw@s1:26379,s2:26380/mymaster/2')).toEqual({
      kind: 'sentinel',
      url: 'redis+sentinel://:pw@s1:26379,s2:26380/mymaster/2',
      tls: false,
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      masterName: 'mymaster',
      database: 2,
      password: 'pw',
    });
    expect(parseRedisTarget('rediss+sentinel://s1:26379/primary')).toMatchObject({
      tls: true,
      masterName: 'primary',
    });
  });

  it('keeps plain redis:// and rediss:// as one server', () => {
    expect(parseRedisTarget('redis://cache:6379/1')).toEqual({
      kind: 'standalone',
      url: 'redis://cache:6379/1',
    });
  });

  it('rejects a missing port, a Sentinel URL without master name, a Cluster database, a query; never echoing a password', () => {
    for (const bad of [
      'redis+cluster://',
      'redis+cluster://:hunter2@cache',
      'redis+cluster://:hunter2@cache:6379/0',
      'redis+cluster://cache:6379,',
      'redis+cluster://cache:99999',
      'redis+sentinel://:hunter2@s1:26379',
      'redis+sentinel://:hunter2@s1:26379/',
      'redis+sentinel://s1:26379/m/x',
      'redis+sentinel://s1:26379/m/1/2',
      'redis+sentinel://s1:26379/m?password=hunter2',
      'redis+memcached://:hunter2@cache:1',
    ]) {
      let error: unknown;
      try {
        parseRedisTarget(bad);
      } catch (err) {
        error = err;
      }
      expect(error, bad).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('the environment is checked at start-up, naming REDIS_URL', () => {
    expect(
      loadConfig({ REDIS_URL: 'redis+sentinel://s1:26379/m', REDIS_SENTINEL_PASSWORD: 'x' }),
    ).toMatchObject({
      redisUrl: 'redis+sentinel://s1:26379/m',
      redisSentinelPassword: 'x',
    });
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://:hunter2@s1:26379' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://:hunter2@s1:26379' })).toThrow(
      /REDIS_URL: .*master-name/,
    );
    expect(loadConfig({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it('every key prefix becomes a hash tag, kept when it has one already', () => {
    expect(withHashTag('saml-sp:')).toBe('{saml-sp}:');
    expect(withHashTag('acme')).toBe('{acme}');
    expect(withHashTag('{acme}:sp:')).toBe('{acme}:sp:');
    // No `{` of a prefix may pair with a `}` in an ID: a prefix without a whole tag is wrapped.
    expect(withHashTag('a{b:')).toBe('{a{b}:');
    expect(withHashTag('{}:')).toBe('{{}}:');
    expect(() => withHashTag('')).toThrow(InvalidOptionError);
  });
});
