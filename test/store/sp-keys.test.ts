/** Runs the SpKeyStore contract against memory and SQLite (PostgreSQL: test/store/postgres.test.ts). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemorySpKeyStore } from '../../src/store/memory/sp-keys.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import { spKeyStoreContract } from './sp-keys.contract.ts';

spKeyStoreContract('memory', async () => ({ store: new MemorySpKeyStore(), close: async () => {} }));

spKeyStoreContract('sqlite (file)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-keys-'));
  const stores = openSqliteStores(path.join(dir, 'test.db'));
  if (!stores.spKeys) throw new Error('the SQLite stores must provide spKeys');
  return {
    store: stores.spKeys,
    close: async () => {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
