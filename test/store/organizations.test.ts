/**
 * The OrganizationStore contract against memory, SQLite and a real PostgreSQL this file starts, and what
 * migration 5 promises: every connection stored before organizations existed gets an organization of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryOrganizationStore } from '../../src/store/memory/index.ts';
import {
  migrate as migratePostgres,
  openPostgresStores,
  MIGRATIONS as PG_MIGRATIONS,
} from '../../src/store/postgres/index.ts';
import { MIGRATIONS, migrate, openSqliteStores } from '../../src/store/sqlite/index.ts';
import { type PostgresServer, startPostgres, unavailable } from '../helpers/db-servers.ts';
import { buildConnection } from './harness.ts';
import { organizationStoreContract } from './organizations.contract.ts';

organizationStoreContract('memory', async () => ({
  store: new MemoryOrganizationStore(),
  close: async () => {},
}));

organizationStoreContract('sqlite (file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-orgs-'));
  const stores = openSqliteStores(path.join(dir, 'test.db'));
  if (!stores.organizations) throw new Error('the SQLite stores must provide organizations');
  return {
    store: stores.organizations,
    close: async () => {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite migration 5', () => {
  it('moves every existing connection into an organization of its own, once', () => {
    const db = new DatabaseSync(':memory:', { enableForeignKeyConstraints: true });
    try {
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version < 5),
      );
      const insert = db.prepare('INSERT INTO connections (id, data) VALUES (?, ?)');
      insert.run('acme', JSON.stringify(buildConnection({ id: 'acme', displayName: 'Acme Corp' })));
      insert.run('globex', JSON.stringify(buildConnection({ id: 'globex', displayName: 'Globex' })));
      expect(migrate(db)).toContain(5);
      const organizations = db
        .prepare('SELECT data FROM organizations ORDER BY id')
        .all()
        .map((row) => JSON.parse(String(row.data)));
      expect(organizations).toMatchObject([
        {
          id: 'acme',
          name: 'Acme Corp',
          domains: [],
          policy: { ssoRequired: false, restrictToVerifiedDomains: true, jit: true },
        },
        { id: 'globex', name: 'Globex', domains: [] },
      ]);
      expect(Number.isNaN(Date.parse(organizations[0].createdAt))).toBe(false);
      const connections = db
        .prepare('SELECT data FROM connections ORDER BY id')
        .all()
        .map((row) => JSON.parse(String(row.data)).organizationId);
      expect(connections).toEqual(['acme', 'globex']);
      expect(migrate(db)).toEqual([]);
    } finally {
      db.close();
    }
  });
});

const skipPostgres = unavailable('PostgreSQL') !== undefined;

describe.skipIf(skipPostgres)('PostgreSQL organizations', () => {
  let server: PostgresServer;
  let url: string;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('organizations');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  organizationStoreContract('postgres', async () => {
    const stores = await openPostgresStores(url);
    const pool = new pg.Pool({ connectionString: url });
    await pool.query('TRUNCATE organizations, organization_domains');
    await pool.end();
    if (!stores.organizations) throw new Error('the PostgreSQL stores must provide organizations');
    return { store: stores.organizations, close: () => stores.close() };
  });

  it('migration 5 moves every existing connection into an organization of its own', async () => {
    const migrated = await server.createDatabase('migration5');
    const pool = new pg.Pool({ connectionString: migrated });
    try {
      await migratePostgres(
        pool,
        PG_MIGRATIONS.filter((m) => m.version < 5),
      );
      await pool.query('INSERT INTO connections (id, data) VALUES ($1, $2), ($3, $4)', [
        'acme',
        JSON.stringify(buildConnection({ id: 'acme', displayName: 'Acme Corp' })),
        'globex',
        JSON.stringify(buildConnection({ id: 'globex', displayName: 'Globex' })),
      ]);
      expect(await migratePostgres(pool)).toContain(5);
      const { rows } = await pool.query<{ data: { id: string; name: string; createdAt: string } }>(
        'SELECT data FROM organizations ORDER BY id',
      );
      expect(rows.map((r) => r.data)).toMatchObject([
        {
          id: 'acme',
          name: 'Acme Corp',
          domains: [],
          policy: { ssoRequired: false, restrictToVerifiedDomains: true, jit: true },
        },
        { id: 'globex', name: 'Globex', domains: [] },
      ]);
      expect(Number.isNaN(Date.parse(rows[0]?.data.createdAt ?? ''))).toBe(false);
      const connections = await pool.query<{ id: string }>(
        "SELECT data->>'organizationId' AS id FROM connections ORDER BY id",
      );
      expect(connections.rows.map((r) => r.id)).toEqual(['acme', 'globex']);
      expect(await migratePostgres(pool)).toEqual([]);
    } finally {
      await pool.end();
    }
  });
});
