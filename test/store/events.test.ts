/** The event store contracts on memory, SQLite (a temporary file) and PostgreSQL (a server this file starts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { MemoryCertificateAlertStore, MemoryWebhookStore } from '../../src/store/memory/index.ts';
import { openPostgresStores } from '../../src/store/postgres/index.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { type PostgresServer, startPostgres, unavailable } from '../helpers/db-servers.ts';
import { certificateAlertStoreContract, webhookStoreContract } from './events.contract.ts';
import type { Factory } from './harness.ts';

type Key = 'webhooks' | 'certificateAlerts';

webhookStoreContract('memory', async () => ({ store: new MemoryWebhookStore(), close: async () => {} }));
certificateAlertStoreContract('memory', async () => ({
  store: new MemoryCertificateAlertStore(),
  close: async () => {},
}));

function sqlite<K extends Key>(key: K): Factory<NonNullable<Stores[K]>> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-events-'));
    const stores = openSqliteStores(path.join(dir, 'test.db'));
    const store = stores[key];
    if (store === undefined) throw new Error(`the SQLite stores must provide ${key}`);
    return {
      store,
      close: async () => {
        await stores.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}
webhookStoreContract('sqlite (file)', sqlite('webhooks'));
certificateAlertStoreContract('sqlite (file)', sqlite('certificateAlerts'));

const skipPostgres = unavailable('PostgreSQL') !== undefined;
let server: PostgresServer;
let url: string;

function postgres<K extends Key>(key: K): Factory<NonNullable<Stores[K]>> {
  return async () => {
    const stores = await openPostgresStores(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(
      'TRUNCATE webhook_endpoints, webhook_events, webhook_messages, webhook_attempts, certificate_alerts RESTART IDENTITY',
    );
    await client.end();
    const store = stores[key];
    if (store === undefined) throw new Error(`the PostgreSQL stores must provide ${key}`);
    return { store, close: () => stores.close() };
  };
}

describe.skipIf(skipPostgres)('PostgreSQL event stores', () => {
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('events');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  webhookStoreContract('postgres', postgres('webhooks'));
  certificateAlertStoreContract('postgres', postgres('certificateAlerts'));
});
