/**
 * Issue #11, item 1: store outages are classified at each adapter's edge into one StoreUnavailableError.
 * Real driver errors from real servers (PostgreSQL and Redis started here, stopped by their PID; SQLite
 * locked by a second connection), and the errors that are not outages left alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardStore, isStoreUnavailable, StoreUnavailableError } from '../../src/store/errors.ts';
import { openStores } from '../../src/store/index.ts';
import { classifyPostgresError } from '../../src/store/postgres/errors.ts';
import { openRedisClient } from '../../src/store/redis/client.ts';
import { classifyRedisError } from '../../src/store/redis/errors.ts';
import { classifySqliteError } from '../../src/store/sqlite/errors.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import {
  type PostgresServer,
  type RunningServer,
  startPostgres,
  startRedis,
  unavailable,
} from '../helpers/db-servers.ts';
import { buildSession } from './harness.ts';

const skipPostgres = unavailable('PostgreSQL') !== undefined;
const skipRedis = unavailable('Redis') !== undefined;

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('guardStore', () => {
  class Store {
    readonly #secret = 'private fields still work';
    calls = 0;
    async read(): Promise<string> {
      this.calls++;
      return this.#secret;
    }
    async fail(error: unknown): Promise<never> {
      throw error;
    }
    failNow(error: unknown): never {
      throw error;
    }
  }
  const outage = Object.assign(new Error('down'), { code: 'EDOWN' });
  const classify = (error: unknown) =>
    (error as { code?: string }).code === 'EDOWN'
      ? new StoreUnavailableError('redis', { cause: error })
      : undefined;

  it('runs methods on the store itself and keeps its class', async () => {
    const store = new Store();
    const guarded = guardStore(store, classify);
    expect(await guarded.read()).toBe('private fields still work');
    expect(store.calls).toBe(1);
    expect(guarded).toBeInstanceOf(Store);
  });

  it('turns outages into StoreUnavailableError, sync or async, and leaves other errors as they are', async () => {
    const guarded = guardStore(new Store(), classify);
    const asyncOutage = await rejection(guarded.fail(outage));
    expect(asyncOutage).toBeInstanceOf(StoreUnavailableError);
    expect(asyncOutage).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      status: 503,
      store: 'redis',
      cause: outage,
    });
    expect(() => guarded.failNow(outage)).toThrow(StoreUnavailableError);
    const bug = new TypeError('a bug');
    expect(await rejection(guarded.fail(bug))).toBe(bug);
    expect(() => guarded.failNow(bug)).toThrow(bug);
  });

  it('follows a method replaced after wrapping', async () => {
    const store = new Store();
    const guarded = guardStore(store, classify);
    await guarded.read();
    store.read = async () => {
      throw outage;
    };
    expect(await rejection(guarded.read())).toBeInstanceOf(StoreUnavailableError);
  });
});

describe('SQLite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-store-errors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('classifies "database is locked" and a closed handle, not a constraint violation', () => {
    const file = path.join(dir, 'locked.db');
    const a = new DatabaseSync(file, { timeout: 0 });
    const b = new DatabaseSync(file, { timeout: 0 });
    a.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER PRIMARY KEY)');
    a.exec('BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)');
    let busy: unknown;
    try {
      b.exec('INSERT INTO t VALUES (2)');
    } catch (error) {
      busy = error;
    }
    expect(classifySqliteError(busy)).toMatchObject({ store: 'sqlite', reason: 'SQLITE_BUSY' });
    a.exec('COMMIT');
    let constraint: unknown;
    try {
      b.exec('INSERT INTO t VALUES (1)');
    } catch (error) {
      constraint = error;
    }
    expect(constraint).toBeDefined();
    expect(classifySqliteError(constraint)).toBeUndefined();
    b.close();
    let closed: unknown;
    try {
      b.exec('SELECT 1');
    } catch (error) {
      closed = error;
    }
    expect(classifySqliteError(closed)).toMatchObject({ store: 'sqlite', reason: 'closed' });
    a.close();
  });

  it('openStores: a store whose file another writer holds locked rejects with STORE_UNAVAILABLE', async () => {
    const file = path.join(dir, 'stores.db');
    const stores = openSqliteStores(file);
    const blocker = new DatabaseSync(file);
    blocker.exec('BEGIN EXCLUSIVE');
    const started = performance.now();
    const error = await rejection(stores.sessions.create(buildSession()));
    const waited = performance.now() - started;
    console.info(
      `SQLite: a write blocked by another writer failed after ${Math.round(waited)} ms (busy timeout)`,
    );
    expect(isStoreUnavailable(error)).toBe(true);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'sqlite', reason: 'SQLITE_BUSY' });
    blocker.exec('ROLLBACK');
    blocker.close();
    await stores.sessions.create(buildSession());
    await stores.close();
    expect(await rejection(stores.connections.list())).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  }, 30_000);
});

describe.skipIf(skipPostgres)('PostgreSQL', () => {
  let server: PostgresServer;
  let url: string;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('classifies a refused connection, a terminated session (57P01) and an ended pool; not a bad query', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    other.on('error', () => {});
    const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const sleeping = rejection(other.query('SELECT pg_sleep(10)'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.query('SELECT pg_terminate_backend($1)', [pid]);
    const terminated = await sleeping;
    expect((terminated as { code?: string }).code).toBe('57P01');
    expect(classifyPostgresError(terminated)).toMatchObject({ store: 'postgres', reason: '57P01' });

    const syntax = await rejection(client.query('SELEC 1'));
    expect(classifyPostgresError(syntax)).toBeUndefined();
    await client.end();

    const refused = new pg.Client({ connectionString: url.replace(`:${server.port}/`, ':1/') });
    refused.on('error', () => {});
    const refusal = await rejection(refused.connect());
    expect(classifyPostgresError(refusal)).toMatchObject({ store: 'postgres', reason: 'ECONNREFUSED' });
  });

  it('openStores: calls during an outage reject with STORE_UNAVAILABLE; the pool recovers when it returns', async () => {
    const stores = await openStores({ databaseUrl: url, onError: () => {} });
    await stores.connections.list();
    await server.pause();
    const error = await rejection(stores.connections.list());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'postgres' });
    const check = stores.checks?.find((c) => c.name === 'database');
    expect(await rejection(check?.run() ?? Promise.resolve())).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await server.resume();
    const back = performance.now();
    await stores.connections.list();
    console.info(
      `PostgreSQL: first query after the server returned took ${Math.round(performance.now() - back)} ms`,
    );
    expect(await check?.run()).toMatchObject({ migrations: { applied: expect.any(Number) } });
    await stores.close();
    // A pool that has ended is unavailable too (a request racing a shutdown), not a 500.
    expect(await rejection(stores.users.list())).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  }, 60_000);
});

describe.skipIf(skipRedis)('Redis', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('classifies a closed client; not a wrong-type reply', async () => {
    const client = await openRedisClient(server.url, { onError: () => {} });
    await client.set('saml-sp:test:string', 'x');
    const wrongType = await rejection(client.hGetAll('saml-sp:test:string'));
    expect(classifyRedisError(wrongType)).toBeUndefined();
    client.destroy();
    const closed = await rejection(client.get('saml-sp:test:string'));
    expect(classifyRedisError(closed)).toMatchObject({ store: 'redis', reason: 'ClientClosedError' });
  });

  it('openStores: with Redis gone, its stores reject with STORE_UNAVAILABLE and /readyz’s check fails', async () => {
    const stores = await openStores({ databaseUrl: 'memory:', redisUrl: server.url, onError: () => {} });
    await stores.requests.peek('nothing', new Date());
    await server.stop();
    // The client notices the closed socket at once and refuses commands while it reconnects.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const error = await rejection(stores.requests.peek('nothing', new Date()));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'redis' });
    const check = stores.checks?.find((c) => c.name === 'redis');
    expect(await rejection(check?.run() ?? Promise.resolve())).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await stores.close();
  });
});
