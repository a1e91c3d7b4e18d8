/** Every SQLite store on one database file. */
import { guardStores } from '../errors.ts';
import { MemoryRequestIdStore } from '../memory/index.ts';
import { migrationFacts } from '../readiness.ts';
import type { Stores } from '../types.ts';
import { SqliteAdminTokenStore, SqliteAuditLogStore } from './audit.ts';
import { SqliteConnectionHealthStore } from './connection-health.ts';
import { SqliteConnectionStore } from './connections.ts';
import { openSqliteDatabase } from './database.ts';
import { classifySqliteError } from './errors.ts';
import { SqliteCertificateAlertStore, SqliteWebhookStore } from './events.ts';
import { appliedVersions, MIGRATIONS } from './migrations.ts';
import { SqliteOidcStore } from './oidc.ts';
import { SqliteOrganizationStore } from './organizations.ts';
import { SqliteReplayCache } from './replay.ts';
import { SqliteRequestIdStore } from './requests.ts';
import { SqliteScimStore } from './scim.ts';
import { SqliteSessionStore } from './sessions.ts';
import { SqliteSetupLinkStore } from './setup-links.ts';
import { SqliteLockStore, SqliteStateStore, SqliteThrottleStore } from './shared-state.ts';
import { SqliteSignInStore } from './sign-ins.ts';
import { SqliteSpKeyStore } from './sp-keys.ts';
import { SqliteTraceStore } from './traces.ts';
import { SqliteUserStore } from './users.ts';

export { openSqliteDatabase } from './database.ts';
export { classifySqliteError } from './errors.ts';
export { appliedVersions, MIGRATIONS, type Migration, migrate } from './migrations.ts';
export {
  SqliteAdminTokenStore,
  SqliteAuditLogStore,
  SqliteCertificateAlertStore,
  SqliteConnectionHealthStore,
  SqliteConnectionStore,
  SqliteLockStore,
  SqliteOrganizationStore,
  SqliteReplayCache,
  SqliteRequestIdStore,
  SqliteScimStore,
  SqliteSessionStore,
  SqliteSetupLinkStore,
  SqliteSignInStore,
  SqliteStateStore,
  SqliteThrottleStore,
  SqliteTraceStore,
  SqliteUserStore,
  SqliteWebhookStore,
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
 * `close()` closes the database. A call that fails because the file is locked past the busy timeout, cannot
 * be read or written, or was closed rejects with a StoreUnavailableError (`STORE_UNAVAILABLE`).
 *
 * @example
 * ```ts
 * const stores = openSqliteStores('/var/lib/saml-sp/saml-sp.db', { caches: 'database' });
 * ```
 */
export function openSqliteStores(file: string, options: SqliteStoresOptions = {}): Stores {
  const db = openSqliteDatabase(file);
  const inDatabase = options.caches === 'database';
  const users = new SqliteUserStore(db);
  const sessions = new SqliteSessionStore(db);
  const replay = new SqliteReplayCache(db);
  const stores: Stores = {
    connections: new SqliteConnectionStore(db),
    users,
    sessions,
    signIns: new SqliteSignInStore(db, users, sessions, replay),
    requests: inDatabase ? new SqliteRequestIdStore(db) : new MemoryRequestIdStore(),
    replay,
    spKeys: new SqliteSpKeyStore(db),
    connectionHealth: new SqliteConnectionHealthStore(db),
    state: new SqliteStateStore(db),
    throttle: new SqliteThrottleStore(db),
    locks: new SqliteLockStore(db),
    scim: new SqliteScimStore(db),
    traces: new SqliteTraceStore(db),
    auditLog: new SqliteAuditLogStore(db),
    adminTokens: new SqliteAdminTokenStore(db),
    webhooks: new SqliteWebhookStore(db),
    certificateAlerts: new SqliteCertificateAlertStore(db),
    organizations: new SqliteOrganizationStore(db),
    setupLinks: new SqliteSetupLinkStore(db),
    oidc: new SqliteOidcStore(db),
    checks: [
      {
        name: 'database',
        backend: 'sqlite',
        run: async () => {
          try {
            return migrationFacts(appliedVersions(db), MIGRATIONS);
          } catch (error) {
            throw classifySqliteError(error) ?? error;
          }
        },
      },
    ],
    close: async () => {
      if (db.isOpen) db.close();
    },
  };
  return guardStores(stores, classifySqliteError);
}
