/**
 * The PostgreSQL adapters on a real server this file starts (initdb + postgres on 127.0.0.1): every store
 * contract, then what only PostgreSQL promises: migrations that are idempotent and safe when instances
 * start at once, atomicity across pools (as across instances), jsonb/timestamptz columns, and close().
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStores } from '../../src/store/index.ts';
import { MemoryRequestIdStore } from '../../src/store/memory/index.ts';
import {
  appliedVersions,
  endPool,
  MIGRATIONS,
  migrate,
  openPostgresStores,
  PostgresConnectionHealthStore,
  PostgresConnectionStore,
  PostgresReplayCache,
  PostgresRequestIdStore,
  PostgresSessionStore,
  PostgresUserStore,
} from '../../src/store/postgres/index.ts';
import { RedisRequestIdStore } from '../../src/store/redis/index.ts';
import type { Stores } from '../../src/store/types.ts';
import {
  type PostgresServer,
  type RunningServer,
  startPostgres,
  startRedis,
  unavailable,
} from '../helpers/db-servers.ts';
import { connectionHealthStoreContract } from './connection-health.contract.ts';
import { connectionStoreContract } from './connections.contract.ts';
import { at, buildConnection, buildRequest, buildSession, buildUser, type Factory } from './harness.ts';
import { oidcStoreContract } from './oidc.contract.ts';
import { replayCacheContract } from './replay.contract.ts';
import { requestIdStoreContract } from './requests.contract.ts';
import { scimStoreContract } from './scim.contract.ts';
import { sessionStoreContract } from './sessions.contract.ts';
import { lockStoreContract, stateStoreContract, throttleStoreContract } from './shared-state.contract.ts';
import { signInStoreContract } from './sign-ins.contract.ts';
import { spKeyStoreContract } from './sp-keys.contract.ts';
import { userStoreContract } from './users.contract.ts';

const skipPostgres = unavailable('PostgreSQL') !== undefined;

let server: PostgresServer;
/** One database for the contract suites, emptied before each test. */
let contractUrl: string;

const TABLES =
  'connections, users, sessions, pending_requests, replay_cache, connection_health, shared_state, throttle, leases, scim_group_members, scim_groups, scim_users, scim_tokens, sp_keys, sp_metadata_fetches, oidc_clients, oidc_keys, oidc_payloads';

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** How many connections our pools hold open to the database at `url`. */
async function poolConnections(url: string): Promise<number> {
  const rows = await query<{ n: string }>(
    server.url,
    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'saml-sp-kit'",
    [url.slice(url.lastIndexOf('/') + 1)],
  );
  return Number(rows[0]?.n);
}

function factory<K extends Exclude<keyof Stores, 'close'>>(key: K): Factory<NonNullable<Stores[K]>> {
  return async () => {
    const stores = await openPostgresStores(contractUrl);
    await query(contractUrl, `TRUNCATE ${TABLES} RESTART IDENTITY`);
    const store = stores[key];
    if (store === undefined) throw new Error(`the PostgreSQL stores must provide ${key}`);
    return { store, close: () => stores.close() };
  };
}

describe.skipIf(skipPostgres)('PostgreSQL stores', () => {
  beforeAll(async () => {
    server = await startPostgres();
    contractUrl = await server.createDatabase('contract');
    console.info(`PostgreSQL started in ${server.startupMs} ms (pid ${server.pid}, port ${server.port})`);
  });
  afterAll(async () => {
    await server?.stop();
  });

  connectionStoreContract('postgres', factory('connections'));
  userStoreContract('postgres', factory('users'));
  sessionStoreContract('postgres', factory('sessions'));
  requestIdStoreContract('postgres', factory('requests'));
  replayCacheContract('postgres', factory('replay'));
  connectionHealthStoreContract('postgres', factory('connectionHealth'));
  stateStoreContract('postgres', factory('state'));
  throttleStoreContract('postgres', factory('throttle'));
  lockStoreContract('postgres', factory('locks'));
  scimStoreContract('postgres', factory('scim'));
  spKeyStoreContract('postgres', factory('spKeys'));
  oidcStoreContract('postgres', factory('oidc'));
  signInStoreContract(
    'postgres',
    async () => {
      const stores = await openPostgresStores(contractUrl);
      await query(contractUrl, `TRUNCATE ${TABLES} RESTART IDENTITY`);
      if (!stores.signIns) throw new Error('the PostgreSQL stores must provide signIns');
      return { store: { ...stores, signIns: stores.signIns }, close: () => stores.close() };
    },
    { atomic: true, replayInTransaction: true },
  );

  describe('migrations', () => {
    it('are recorded once and idempotent across reopens', async () => {
      const url = await server.createDatabase();
      const pool = new pg.Pool({ connectionString: url });
      try {
        const all = MIGRATIONS.map((m) => m.version);
        expect(await migrate(pool)).toEqual(all);
        expect(await migrate(pool)).toEqual([]);
        expect(await appliedVersions(pool)).toEqual(all);
        const stores = await openPostgresStores(url);
        await stores.close();
        expect(await appliedVersions(pool)).toEqual(all);
      } finally {
        await pool.end();
      }
    });

    it('two instances starting at once on a fresh database both succeed; each migration runs once', async () => {
      const url = await server.createDatabase();
      const opened = await Promise.all([
        openStores({ databaseUrl: url }),
        openStores({ databaseUrl: url.replace('postgres://', 'postgresql://') }),
        openStores({ databaseUrl: url }),
      ]);
      try {
        const rows = await query<{ version: number; n: string }>(
          url,
          'SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version',
        );
        expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: '1' })));
        // Every instance works on the one schema.
        await opened[0]?.connections.put(buildConnection());
        expect((await opened[2]?.connections.list())?.map((c) => c.id)).toEqual(['acme']);
      } finally {
        await Promise.all(opened.map((s) => s.close()));
      }
    });

    it('wait for the advisory lock another instance holds', async () => {
      const url = await server.createDatabase();
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [0x53414d4c, 1]);
        let done = false;
        const opening = openPostgresStores(url).then((stores) => {
          done = true;
          return stores;
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(done).toBe(false);
        await holder.query('COMMIT');
        const stores = await opening;
        expect(done).toBe(true);
        await stores.close();
      } finally {
        await holder.end();
      }
    });

    it('roll a failing migration back entirely and leave it unrecorded', async () => {
      const url = await server.createDatabase();
      const pool = new pg.Pool({ connectionString: url });
      try {
        const good = { version: 1, name: 'good', sql: 'CREATE TABLE good (x integer)' };
        const bad = { version: 2, name: 'bad', sql: 'CREATE TABLE half (x integer); CREATE TABLE broken (' };
        await expect(migrate(pool, [good, bad])).rejects.toThrow(/migration 2 \(bad\) failed/);
        expect(await appliedVersions(pool)).toEqual([1]);
        const half = await pool.query("SELECT to_regclass('half') AS t");
        expect(half.rows[0]?.t).toBeNull();
        expect(await migrate(pool, [good])).toEqual([]);
      } finally {
        await pool.end();
      }
    });

    it('refuse a list that is not strictly increasing', async () => {
      const pool = new pg.Pool({ connectionString: contractUrl });
      try {
        const m = (version: number) => ({ version, name: `m${version}`, sql: 'SELECT 1' });
        await expect(migrate(pool, [m(2), m(1)])).rejects.toThrow(/strictly increasing/);
      } finally {
        await pool.end();
      }
    });
  });

  describe('across two pools, as across two instances', () => {
    let a: Stores;
    let b: Stores;
    beforeAll(async () => {
      const url = await server.createDatabase();
      [a, b] = await Promise.all([openPostgresStores(url), openPostgresStores(url)]);
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
      // Opposite orders, all in flight at once: the pools' connections meet on every row.
      const [wonA, wonB] = await Promise.all([
        Promise.all(ids.map((id) => a.requests.consume(id, at(1)))),
        Promise.all([...ids].reverse().map((id) => b.requests.consume(id, at(1)))),
      ]);
      const won = [...wonA, ...wonB].filter((r) => r !== undefined).map((r) => r.requestId);
      expect(won).toHaveLength(ids.length);
      expect(new Set(won).size).toBe(ids.length);
    });

    it('a replayed key is accepted by exactly one instance', async () => {
      const keys = Array.from({ length: 50 }, (_, i) => `assertion:_r${i}`);
      const results = await Promise.all(
        keys.flatMap((k) => [a.replay.remember(k, at(60), at(0)), b.replay.remember(k, at(60), at(0))]),
      );
      expect(results.filter(Boolean)).toHaveLength(keys.length);
    });

    it('first sign-ins of one NameID on both instances make one user', async () => {
      const users = await Promise.all(
        [a, b, a, b].map((s, n) => s.users.upsert(buildUser({ nameId: 'race@acme.test' }), at(n))),
      );
      expect(new Set(users.map((u) => u.id)).size).toBe(1);
      // Whichever upsert committed last holds the profile; there is exactly one row either way.
      expect(users).toContainEqual(await b.users.findByNameId('acme', 'race@acme.test'));
      expect(await a.users.list()).toHaveLength(1);
    });
  });

  describe('schema and lifecycle', () => {
    it('uses timestamptz and jsonb, the lookup indexes, and UNIQUE (connection_id, name_id)', async () => {
      const stores = await openPostgresStores(contractUrl);
      await stores.close();
      const columns = await query<{ table_name: string; column_name: string; data_type: string }>(
        contractUrl,
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = current_schema() AND column_name IN ('data', 'attributes', 'groups', 'name_id',
           'created_at', 'expires_at') ORDER BY table_name, column_name`,
      );
      const types = Object.fromEntries(columns.map((c) => [`${c.table_name}.${c.column_name}`, c.data_type]));
      expect(types).toMatchObject({
        'connections.data': 'jsonb',
        'users.attributes': 'jsonb',
        'users.groups': 'jsonb',
        'users.created_at': 'timestamp with time zone',
        'sessions.name_id': 'jsonb',
        'sessions.expires_at': 'timestamp with time zone',
        'pending_requests.expires_at': 'timestamp with time zone',
        'replay_cache.expires_at': 'timestamp with time zone',
      });
      const indexes = await query<{ indexname: string; indexdef: string }>(
        contractUrl,
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sessions' ORDER BY indexname",
      );
      expect(indexes.find((i) => i.indexname === 'sessions_name_id')?.indexdef).toContain(
        '(connection_id, name_id_value, session_index)',
      );
      expect(indexes.map((i) => i.indexname)).toContain('sessions_expires_at');

      const insert = `INSERT INTO users (id, connection_id, name_id, groups, attributes, created_at, updated_at,
        last_login_at) VALUES ($1, 'acme', 'dup', '[]', '{}', now(), now(), now())`;
      await query(contractUrl, insert, ['u1']);
      await expect(query(contractUrl, insert, ['u2'])).rejects.toMatchObject({ code: '23505' });
      await query(contractUrl, "DELETE FROM users WHERE name_id = 'dup'");
    });

    it('data survives closing and reopening', async () => {
      const url = await server.createDatabase();
      const first = await openPostgresStores(url);
      const connection = buildConnection();
      await first.connections.put(connection);
      const user = await first.users.upsert(buildUser(), at(0));
      const session = buildSession({ userId: user.id });
      await first.sessions.create(session);
      const request = buildRequest();
      await first.requests.save(request);
      expect(await first.replay.remember('assertion:_a', at(300), at(0))).toBe(true);
      await first.close();

      const second = await openPostgresStores(url);
      try {
        expect(await second.connections.get('acme')).toEqual(connection);
        expect(await second.users.get(user.id)).toEqual(user);
        expect(await second.sessions.get(session.id, at(1))).toEqual(session);
        expect(await second.requests.consume(request.requestId, at(1))).toEqual(request);
        expect(await second.replay.remember('assertion:_a', at(300), at(1))).toBe(false);
      } finally {
        await second.close();
      }
    });

    it('close() ends every pooled connection, and closing twice is harmless', async () => {
      const url = await server.createDatabase();
      const stores = await openPostgresStores(url);
      await Promise.all(Array.from({ length: 5 }, () => stores.connections.list()));
      expect(await poolConnections(url)).toBeGreaterThan(0);
      await stores.close();
      await stores.close();
      expect(await poolConnections(url)).toBe(0);
    });

    it("caches: 'memory' keeps request IDs in the process, never the replay record", async () => {
      const stores = await openPostgresStores(contractUrl, { caches: 'memory' });
      expect(stores.requests).toBeInstanceOf(MemoryRequestIdStore);
      expect(stores.replay).toBeInstanceOf(PostgresReplayCache);
      await stores.close();
    });

    it('endPool waits for connections that were in use when it was called', async () => {
      const pool = new pg.Pool({ connectionString: contractUrl });
      const slow = pool.query('SELECT pg_sleep(0.2)');
      await endPool(pool);
      await slow;
      expect(pool.ended).toBe(true);
    });
  });

  describe('openStores', () => {
    let redis: RunningServer | undefined;
    const skipRedis = unavailable('Redis') !== undefined;
    beforeAll(async () => {
      if (!skipRedis) redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('postgres:// and postgresql:// put every store in PostgreSQL', async () => {
      for (const databaseUrl of [contractUrl, contractUrl.replace('postgres://', 'postgresql://')]) {
        const stores = await openStores({ databaseUrl });
        try {
          expect(stores.connections).toBeInstanceOf(PostgresConnectionStore);
          expect(stores.users).toBeInstanceOf(PostgresUserStore);
          expect(stores.sessions).toBeInstanceOf(PostgresSessionStore);
          expect(stores.requests).toBeInstanceOf(PostgresRequestIdStore);
          expect(stores.replay).toBeInstanceOf(PostgresReplayCache);
          expect(stores.connectionHealth).toBeInstanceOf(PostgresConnectionHealthStore);
        } finally {
          await stores.close();
        }
      }
    });

    it.skipIf(skipRedis)(
      'with REDIS_URL: request IDs in Redis; sessions and the replay record stay durable in PostgreSQL',
      async () => {
        const stores = await openStores({ databaseUrl: contractUrl, redisUrl: redis?.url });
        try {
          expect(stores.connections).toBeInstanceOf(PostgresConnectionStore);
          expect(stores.users).toBeInstanceOf(PostgresUserStore);
          expect(stores.sessions).toBeInstanceOf(PostgresSessionStore);
          expect(stores.requests).toBeInstanceOf(RedisRequestIdStore);
          expect(stores.replay).toBeInstanceOf(PostgresReplayCache);
          const session = buildSession();
          await stores.sessions.create(session);
          expect(await stores.sessions.get(session.id, at(1))).toEqual(session);
        } finally {
          await stores.close();
        }
      },
    );

    it.skipIf(skipRedis)('an unreachable Redis fails the open and ends the PostgreSQL pool', async () => {
      const url = await server.createDatabase();
      await expect(
        openStores({ databaseUrl: url, redisUrl: 'redis://:hunter2@127.0.0.1:1' }),
      ).rejects.toThrow(/Connecting to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 failed/);
      expect(await poolConnections(url)).toBe(0);
    });
  });
});
