/** Runs the ConnectionHealthStore contract against memory and SQLite (a temporary file). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryConnectionHealthStore } from '../../src/store/memory/connection-health.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { connectionHealthStoreContract } from './connection-health.contract.ts';

connectionHealthStoreContract('memory', async () => ({
  store: new MemoryConnectionHealthStore(),
  close: async () => {},
}));

connectionHealthStoreContract('sqlite (file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-health-'));
  const stores = openSqliteStores(path.join(dir, 'test.db'));
  if (!stores.connectionHealth) throw new Error('the SQLite stores must provide connectionHealth');
  return {
    store: stores.connectionHealth,
    close: async () => {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
