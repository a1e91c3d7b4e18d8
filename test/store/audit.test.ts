/**
 * The audit log and admin token stores on every backend (memory, SQLite, a real PostgreSQL this file starts),
 * and what only the databases promise: the log is append-only below the adapter too (UPDATE, DELETE and, in
 * PostgreSQL, TRUNCATE raise).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAdminTokenStore, MemoryAuditLogStore } from '../../src/store/memory/index.ts';
import { openPostgresStores } from '../../src/store/postgres/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { type PostgresServer, startPostgres, unavailable } from '../helpers/db-servers.ts';
import { adminTokenStoreContract, auditLogStoreContract, buildAuditEntry } from './audit.contract.ts';
import type { Factory } from './harness.ts';

auditLogStoreContract('memory', async () => ({ store: new MemoryAuditLogStore(), close: async () => {} }));
adminTokenStoreContract('memory', async () => ({
  store: new MemoryAdminTokenStore(),
  close: async () => {},
}));

function sqlite<K extends 'auditLog' | 'adminTokens'>(key: K): Factory<NonNullable<Stores[K]>> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-audit-'));
    const stores = openSqliteStores(path.join(dir, 'test.db'));
    const store = stores[key];
    if (!store) throw new Error(`the SQLite stores must provide ${key}`);
    return {
      store: store as NonNullable<Stores[K]>,
      close: async () => {
        await stores.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}
auditLogStoreContract('sqlite (file)', sqlite('auditLog'));
adminTokenStoreContract('sqlite (file)', sqlite('adminTokens'));

describe('SQLite audit_log is append-only in the database', () => {
  it('refuses UPDATE and DELETE from any connection', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-audit-'));
    const file = path.join(dir, 'test.db');
    const stores = openSqliteStores(file);
    try {
      await stores.auditLog?.append(buildAuditEntry());
      const raw = new DatabaseSync(file);
      try {
        expect(() => raw.exec("UPDATE audit_log SET actor_name = 'mallory'")).toThrow(/append-only/);
        expect(() => raw.exec('DELETE FROM audit_log')).toThrow(/append-only/);
      } finally {
        raw.close();
      }
      expect((await stores.auditLog?.list())?.[0]?.actor.name).toBe('alice');
    } finally {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const skipPostgres = unavailable('PostgreSQL') !== undefined;

describe.skipIf(skipPostgres)('PostgreSQL audit stores', () => {
  let server: PostgresServer;
  let url: string;

  async function query(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  function postgres<K extends 'auditLog' | 'adminTokens'>(key: K): Factory<NonNullable<Stores[K]>> {
    return async () => {
      const stores = await openPostgresStores(url);
      // The table owner may lift the append-only triggers on purpose (this is how an operator prunes).
      await query(`ALTER TABLE audit_log DISABLE TRIGGER USER;
        TRUNCATE audit_log, admin_tokens RESTART IDENTITY;
        ALTER TABLE audit_log ENABLE TRIGGER USER;`);
      const store = stores[key];
      if (!store) throw new Error(`the PostgreSQL stores must provide ${key}`);
      return { store: store as NonNullable<Stores[K]>, close: () => stores.close() };
    };
  }

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('audit');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  auditLogStoreContract('postgres', postgres('auditLog'));
  adminTokenStoreContract('postgres', postgres('adminTokens'));

  it('refuses UPDATE, DELETE and TRUNCATE of audit_log', async () => {
    const stores = await openPostgresStores(url);
    try {
      await stores.auditLog?.append(buildAuditEntry({ actor: { kind: 'cli', name: 'cli:ops' } }));
      await expect(query("UPDATE audit_log SET actor_name = 'mallory'")).rejects.toThrow(/append-only/);
      await expect(query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      await expect(query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
      const names = (await stores.auditLog?.list())?.map((e) => e.actor.name);
      expect(names).toContain('cli:ops');
      expect(names).not.toContain('mallory');
    } finally {
      await stores.close();
    }
  });
});
