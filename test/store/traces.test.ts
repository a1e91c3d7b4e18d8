/**
 * The TraceStore contract against memory, SQLite (a temporary file) and PostgreSQL (a server this file
 * starts, skipped where PostgreSQL is not installed), and the migration that adds the last failure's trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTraceStore } from '../../src/store/memory/index.ts';
import { openPostgresStores } from '../../src/store/postgres/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { type PostgresServer, startPostgres, unavailable } from '../helpers/db-servers.ts';
import { at } from './harness.ts';
import { traceStoreContract } from './traces.contract.ts';

traceStoreContract('memory', async () => ({ store: new MemoryTraceStore(), close: async () => {} }));

traceStoreContract('sqlite (file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-traces-'));
  const stores = openSqliteStores(path.join(dir, 'test.db'));
  if (!stores.traces) throw new Error('the SQLite stores must provide traces');
  return {
    store: stores.traces,
    close: async () => {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite: the last failure keeps its trace ID', () => {
  it('round-trips traceId through connection health', async () => {
    const stores = openSqliteStores(':memory:');
    try {
      await stores.connectionHealth?.recordFailure('acme', {
        at: at(1),
        code: 'SAML_AUDIENCE_MISMATCH',
        message: 'm',
        hint: 'h',
        traceId: 'K7QM4-XD2PA',
      });
      expect((await stores.connectionHealth?.get('acme'))?.lastFailure?.traceId).toBe('K7QM4-XD2PA');
    } finally {
      await stores.close();
    }
  });
});

const skipPostgres = unavailable('PostgreSQL') !== undefined;

describe.skipIf(skipPostgres)('PostgreSQL traces', () => {
  let server: PostgresServer;
  let url: string;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('traces');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  traceStoreContract('postgres', async () => {
    const stores = await openPostgresStores(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('TRUNCATE sign_in_traces, connection_health');
    await client.end();
    if (!stores.traces) throw new Error('the PostgreSQL stores must provide traces');
    return { store: stores.traces, close: () => stores.close() };
  });

  it('round-trips the last failure trace ID through connection health', async () => {
    const stores = await openPostgresStores(url);
    try {
      await stores.connectionHealth?.recordFailure('acme', {
        at: at(1),
        code: 'SAML_AUDIENCE_MISMATCH',
        message: 'm',
        hint: 'h',
        traceId: 'K7QM4-XD2PA',
      });
      expect((await stores.connectionHealth?.get('acme'))?.lastFailure?.traceId).toBe('K7QM4-XD2PA');
    } finally {
      await stores.close();
    }
  });
});
