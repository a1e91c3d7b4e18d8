/** Every PostgreSQL store on one connection pool: the backend for several instances behind a load balancer. */
import { guardStores } from '../errors.ts';
import { MemoryRequestIdStore } from '../memory/index.ts';
import { migrationFacts } from '../readiness.ts';
import type { Stores } from '../types.ts';
import { PostgresAdminTokenStore, PostgresAuditLogStore } from './audit.ts';
import { PostgresConnectionHealthStore } from './connection-health.ts';
import { PostgresConnectionStore } from './connections.ts';
import { endPool, openPostgresPool, type PostgresPoolOptions } from './database.ts';
import { classifyPostgresError } from './errors.ts';
import { PostgresCertificateAlertStore, PostgresWebhookStore } from './events.ts';
import { appliedVersions, MIGRATIONS } from './migrations.ts';
import { PostgresOidcStore } from './oidc.ts';
import { PostgresOrganizationStore } from './organizations.ts';
import { PostgresReplayCache } from './replay.ts';
import { PostgresRequestIdStore } from './requests.ts';
import { PostgresScimStore } from './scim.ts';
import { PostgresSessionStore } from './sessions.ts';
import { PostgresSetupLinkStore } from './setup-links.ts';
import { PostgresLockStore, PostgresStateStore, PostgresThrottleStore } from './shared-state.ts';
import { PostgresSignInStore } from './sign-ins.ts';
import { PostgresSpKeyStore } from './sp-keys.ts';
import { PostgresTraceStore } from './traces.ts';
import { PostgresUserStore } from './users.ts';

export { endPool, openPostgresPool, type PostgresPoolOptions } from './database.ts';
export { classifyPostgresError } from './errors.ts';
export { appliedVersions, MIGRATIONS, type Migration, migrate } from './migrations.ts';
export {
  PostgresAdminTokenStore,
  PostgresAuditLogStore,
  PostgresCertificateAlertStore,
  PostgresConnectionHealthStore,
  PostgresConnectionStore,
  PostgresLockStore,
  PostgresOrganizationStore,
  PostgresReplayCache,
  PostgresRequestIdStore,
  PostgresScimStore,
  PostgresSessionStore,
  PostgresSetupLinkStore,
  PostgresStateStore,
  PostgresThrottleStore,
  PostgresTraceStore,
  PostgresUserStore,
  PostgresWebhookStore,
};

export interface PostgresStoresOptions extends PostgresPoolOptions {
  /**
   * Where pending request IDs live. `'database'` (the default) shares them between instances, so a login may
   * start on one and finish on another. `'memory'` suits a single instance only. The replay record is always
   * in PostgreSQL: an assertion accepted once is refused by every instance, before and after any restart.
   */
  caches?: 'memory' | 'database';
}

/**
 * Connects to `url` (`postgres://` or `postgresql://`), migrates the schema and returns the stores on one
 * pool. `close()` ends the pool. A call that fails because PostgreSQL cannot be reached rejects with a
 * StoreUnavailableError (`STORE_UNAVAILABLE`).
 *
 * @example
 * ```ts
 * const stores = await openPostgresStores('postgres://saml:secret@db.internal/saml_sp');
 * try { await stores.connections.list(); } finally { await stores.close(); }
 * ```
 */
export async function openPostgresStores(url: string, options: PostgresStoresOptions = {}): Promise<Stores> {
  const pool = await openPostgresPool(url, options);
  const inDatabase = (options.caches ?? 'database') === 'database';
  let closed: Promise<void> | undefined;
  const replay = new PostgresReplayCache(pool);
  const stores: Stores = {
    connections: new PostgresConnectionStore(pool),
    users: new PostgresUserStore(pool),
    sessions: new PostgresSessionStore(pool),
    signIns: new PostgresSignInStore(pool, replay),
    requests: inDatabase ? new PostgresRequestIdStore(pool) : new MemoryRequestIdStore(),
    replay,
    spKeys: new PostgresSpKeyStore(pool),
    connectionHealth: new PostgresConnectionHealthStore(pool),
    state: new PostgresStateStore(pool),
    throttle: new PostgresThrottleStore(pool),
    locks: new PostgresLockStore(pool),
    scim: new PostgresScimStore(pool),
    traces: new PostgresTraceStore(pool),
    auditLog: new PostgresAuditLogStore(pool),
    adminTokens: new PostgresAdminTokenStore(pool),
    webhooks: new PostgresWebhookStore(pool),
    certificateAlerts: new PostgresCertificateAlertStore(pool),
    organizations: new PostgresOrganizationStore(pool),
    setupLinks: new PostgresSetupLinkStore(pool),
    oidc: new PostgresOidcStore(pool),
    checks: [
      {
        name: 'database',
        backend: 'postgres',
        run: async () => {
          try {
            return migrationFacts(await appliedVersions(pool), MIGRATIONS);
          } catch (error) {
            throw classifyPostgresError(error) ?? error;
          }
        },
      },
    ],
    close: () => {
      closed ??= endPool(pool);
      return closed;
    },
  };
  return guardStores(stores, classifyPostgresError);
}
