/**
 * Migration 10 (issue #12): connections stored before statuses existed are written down as what they already
 * were, active on the shared SP entity ID (or the custom one they had), in SQLite and in PostgreSQL. Pending
 * requests gain the test-run column without losing the rows in flight.
 */
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresConnectionStore } from '../../src/store/postgres/connections.ts';
import {
  migrate as migratePostgres,
  MIGRATIONS as PG_MIGRATIONS,
} from '../../src/store/postgres/migrations.ts';
import { SqliteConnectionStore } from '../../src/store/sqlite/connections.ts';
import {
  migrate as migrateSqlite,
  MIGRATIONS as SQLITE_MIGRATIONS,
} from '../../src/store/sqlite/migrations.ts';
import { SqliteRequestIdStore } from '../../src/store/sqlite/requests.ts';
import { type PostgresServer, startPostgres, unavailable } from '../helpers/db-servers.ts';
import { at, buildConnection, buildRequest } from './harness.ts';

const legacyShared = buildConnection({ id: 'legacy-shared' });
const legacyCustom = buildConnection({ id: 'legacy-custom', spEntityId: 'urn:acme:sp' });
const before10 = <M extends { version: number }>(all: readonly M[]) => all.filter((m) => m.version < 10);

describe('migration 10 on SQLite', () => {
  it('records existing connections as active on the SP entity ID they had, keeps pending requests', async () => {
    const db = new DatabaseSync(':memory:');
    try {
      migrateSqlite(db, before10(SQLITE_MIGRATIONS));
      const insert = db.prepare('INSERT INTO connections (id, data) VALUES (?, ?)');
      for (const c of [legacyShared, legacyCustom]) insert.run(c.id, JSON.stringify(c));
      db.prepare(
        'INSERT INTO pending_requests (request_id, connection_id, browser_key, return_to, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run('_r1', 'legacy-shared', 'browser-1', '/', at(0).getTime(), at(600).getTime());

      expect(migrateSqlite(db)).toContain(10);
      const store = new SqliteConnectionStore(db);
      const shared = await store.get('legacy-shared');
      const custom = await store.get('legacy-custom');
      expect(shared).toMatchObject({
        status: 'active',
        spEntityIdMode: 'shared',
        activation: { via: 'migration' },
      });
      expect(shared?.spEntityId).toBeUndefined();
      expect(custom).toMatchObject({ status: 'active', spEntityIdMode: 'custom', spEntityId: 'urn:acme:sp' });
      expect(Date.parse(shared?.activation?.at ?? '')).not.toBeNaN();
      const requests = new SqliteRequestIdStore(db);
      expect((await requests.peek('_r1', at(1)))?.testRun).toBeUndefined();
      const test = buildRequest({ testRun: 'run-1' });
      await requests.save(test);
      expect(await requests.peek(test.requestId, at(1))).toEqual(test);
    } finally {
      db.close();
    }
  });
});

describe.skipIf(unavailable('PostgreSQL') !== undefined)('migration 10 on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('records existing connections as active on the SP entity ID they had', async () => {
    const url = await server.createDatabase('status_migration');
    const pool = new pg.Pool({ connectionString: url });
    try {
      await migratePostgres(pool, before10(PG_MIGRATIONS));
      for (const c of [legacyShared, legacyCustom]) {
        await pool.query('INSERT INTO connections (id, data) VALUES ($1, $2)', [c.id, JSON.stringify(c)]);
      }
      expect(await migratePostgres(pool)).toContain(10);
      const store = new PostgresConnectionStore(pool);
      expect(await store.get('legacy-shared')).toMatchObject({
        status: 'active',
        spEntityIdMode: 'shared',
        activation: { via: 'migration', actor: { kind: 'system' } },
      });
      expect(await store.get('legacy-custom')).toMatchObject({
        status: 'active',
        spEntityIdMode: 'custom',
        spEntityId: 'urn:acme:sp',
      });
    } finally {
      await pool.end();
    }
  });
});
