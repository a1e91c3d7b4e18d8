/** Every SQLite store on one database file. */
import { MemoryRequestIdStore } from '../memory/index.ts';
import type { Stores } from '../types.ts';
import { SqliteConnectionHealthStore } from './connection-health.ts';
import { SqliteConnectionStore } from './connections.ts';
import { openSqliteDatabase } from './database.ts';
import { SqliteReplayCache } from './replay.ts';
import { SqliteRequestIdStore } from './requests.ts';
import { SqliteSessionStore } from './sessions.ts';
import { SqliteLockStore, SqliteStateStore, SqliteThrottleStore } from './shared-state.ts';
import { SqliteUserStore } from './users.ts';

export { openSqliteDatabase } from './database.ts';
export { appliedVersions, MIGRATIONS, type Migration, migrate } from './migrations.ts';
export {
  SqliteConnectionHealthStore,
  SqliteConnectionStore,
  SqliteLockStore,
  SqliteReplayCache,
  SqliteRequestIdStore,
  SqliteSessionStore,
  SqliteStateStore,
  SqliteThrottleStore,
  SqliteUserStore,
};

export interface SqliteStoresOptions {
  /**
   * Where pending request IDs live. `'memory'` (the default) is fastest; `'database'` keeps them in the file
   * so a single instance restarted mid-login still accepts the answer. The replay record is always in the
   * file: a restart must not re-open an assertion already used (an in-process cache would forget it).
   */
  caches?: 'memory' | 'database';
}

/**
 * Opens `file` (an absolute path, or `':memory:'`), migrates it and returns the stores on it.
 * `close()` closes the database.
 *
 * @example
 * ```ts
 * const stores = openSqliteStores('/var/lib/saml-sp/saml-sp.db', { caches: 'database' });
 * ```
 */
export function openSqliteStores(file: string, options: SqliteStoresOptions = {}): Stores {
  const db = openSqliteDatabase(file);
  const inDatabase = options.caches === 'database';
  return {
    connections: new SqliteConnectionStore(db),
    users: new SqliteUserStore(db),
    sessions: new SqliteSessionStore(db),
    requests: inDatabase ? new SqliteRequestIdStore(db) : new MemoryRequestIdStore(),
    replay: new SqliteReplayCache(db),
    connectionHealth: new SqliteConnectionHealthStore(db),
    state: new SqliteStateStore(db),
    throttle: new SqliteThrottleStore(db),
    locks: new SqliteLockStore(db),
    close: async () => {
      if (db.isOpen) db.close();
    },
  };
}
