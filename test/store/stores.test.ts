/** Runs every store contract against every adapter: memory, and SQLite on a temporary file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryStores } from '../../src/store/memory/index.ts';
import { sequentialSignIns } from '../../src/store/sign-ins.ts';
import { openSqliteStores } from '../../src/store/sqlite/index.ts';
import type { Stores } from '../../src/store/types.ts';
import { connectionStoreContract } from './connections.contract.ts';
import type { Factory } from './harness.ts';
import { oidcStoreContract } from './oidc.contract.ts';
import { replayCacheContract } from './replay.contract.ts';
import { requestIdStoreContract } from './requests.contract.ts';
import { scimStoreContract } from './scim.contract.ts';
import { sessionStoreContract } from './sessions.contract.ts';
import { lockStoreContract, stateStoreContract, throttleStoreContract } from './shared-state.contract.ts';
import { signInStoreContract } from './sign-ins.contract.ts';
import { userStoreContract } from './users.contract.ts';

interface Backend {
  name: string;
  open(): { stores: Stores; cleanup(): void };
}

const backends: Backend[] = [
  { name: 'memory', open: () => ({ stores: createMemoryStores(), cleanup: () => {} }) },
  {
    name: 'sqlite (file)',
    open: () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-store-'));
      const stores = openSqliteStores(path.join(dir, 'test.db'), { caches: 'database' });
      return { stores, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];

function factory<K extends Exclude<keyof Stores, 'close'>>(
  backend: Backend,
  key: K,
): Factory<NonNullable<Stores[K]>> {
  return async () => {
    const { stores, cleanup } = backend.open();
    const store = stores[key];
    if (store === undefined) throw new Error(`the ${backend.name} stores must provide ${key}`);
    return {
      store,
      close: async () => {
        await stores.close();
        cleanup();
      },
    };
  };
}

for (const backend of backends) {
  connectionStoreContract(backend.name, factory(backend, 'connections'));
  userStoreContract(backend.name, factory(backend, 'users'));
  sessionStoreContract(backend.name, factory(backend, 'sessions'));
  requestIdStoreContract(backend.name, factory(backend, 'requests'));
  replayCacheContract(backend.name, factory(backend, 'replay'));
  stateStoreContract(backend.name, factory(backend, 'state'));
  throttleStoreContract(backend.name, factory(backend, 'throttle'));
  lockStoreContract(backend.name, factory(backend, 'locks'));
  scimStoreContract(backend.name, factory(backend, 'scim'));
  oidcStoreContract(backend.name, factory(backend, 'oidc'));
  // Memory has no transaction: the SP's fallback (sequential calls) is its adapter.
  signInStoreContract(
    backend.name,
    async () => {
      const { stores, cleanup } = backend.open();
      return {
        store: { ...stores, signIns: stores.signIns ?? sequentialSignIns(stores) },
        close: async () => {
          await stores.close();
          cleanup();
        },
      };
    },
    { atomic: backend.name !== 'memory', replayInTransaction: backend.name !== 'memory' },
  );
}
