/**
 * The SetupLinkStore contract (issue #12 item 3) against memory, SQLite (a temporary file) and a real
 * PostgreSQL this file starts on 127.0.0.1, and migration 11 on both databases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySetupLinkStore } from '../../src/store/memory/setup-links.ts';
import { openPostgresStores } from '../../src/store/postgres/index.ts';
import { openSqliteDatabase } from '../../src/store/sqlite/database.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { appliedVersions } from '../../src/store/sqlite/migrations.ts';
import { type PostgresServer, startPostgres, unavailable } from '../helpers/db-servers.ts';
import { setupLinkStoreContract } from './setup-links.contract.ts';

setupLinkStoreContract('memory', async () => ({ store: new MemorySetupLinkStore(), close: async () => {} }));

setupLinkStoreContract('sqlite (file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-setup-links-'));
  const stores = openSqliteStores(path.join(dir, 'test.db'));
  if (!stores.setupLinks) throw new Error('the SQLite stores must provide setupLinks');
  return {
    store: stores.setupLinks,
    close: async () => {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite migration 11', () => {
  it('is applied and recorded', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-setup-links-'));
    const db = openSqliteDatabase(path.join(dir, 'test.db'));
    try {
      expect(appliedVersions(db)).toContain(11);
      const columns = db.prepare("SELECT name FROM pragma_table_info('setup_links')").all();
      // Only the hash of the token is a column: there is nowhere to keep the token itself.
      expect(columns.map((c) => c.name)).toContain('token_hash');
      expect(columns.map((c) => c.name)).not.toContain('token');
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(unavailable('PostgreSQL') !== undefined)('PostgreSQL setup links', () => {
  let server: PostgresServer;
  let url: string;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('setup_links');
  });
  afterAll(async () => {
    await server?.stop();
  });

  setupLinkStoreContract('postgres', async () => {
    const stores = await openPostgresStores(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('TRUNCATE setup_links, setup_link_uses RESTART IDENTITY');
    await client.end();
    if (!stores.setupLinks) throw new Error('the PostgreSQL stores must provide setupLinks');
    return { store: stores.setupLinks, close: () => stores.close() };
  });

  it('migration 11 is recorded', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM schema_migrations WHERE version = 11');
      expect(rows).toHaveLength(1);
    } finally {
      await client.end();
    }
  });
});
