/** All five stores in process memory: `DATABASE_URL=memory:`, tests, and the default caches beside SQLite. */
import type { Stores } from '../types.ts';
import { MemoryAdminTokenStore, MemoryAuditLogStore } from './audit.ts';
import { MemoryConnectionHealthStore } from './connection-health.ts';
import { MemoryConnectionStore } from './connections.ts';
import { MemoryCertificateAlertStore, MemoryWebhookStore } from './events.ts';
import { MemoryOidcStore } from './oidc.ts';
import { MemoryOrganizationStore } from './organizations.ts';
import { MemoryReplayCache } from './replay.ts';
import { MemoryScimStore } from './scim.ts';
import { MemorySetupLinkStore } from './setup-links.ts';

export { DEFAULT_MAX_REPLAY_ENTRIES, replayDigest } from './replay.ts';

import { type MemoryCacheOptions, MemoryRequestIdStore } from './requests.ts';
import { MemorySessionStore } from './sessions.ts';
import { MemoryLockStore, MemoryStateStore, MemoryThrottleStore } from './shared-state.ts';
import { MemorySpKeyStore } from './sp-keys.ts';
import { MemoryTraceStore } from './traces.ts';
import { MemoryUserStore } from './users.ts';

export { DEFAULT_MAX_ENTRIES } from './expiring-map.ts';
export type { MemoryCacheOptions } from './requests.ts';
export {
  MemoryAdminTokenStore,
  MemoryAuditLogStore,
  MemoryCertificateAlertStore,
  MemoryConnectionHealthStore,
  MemoryConnectionStore,
  MemoryLockStore,
  MemoryOrganizationStore,
  MemoryReplayCache,
  MemoryRequestIdStore,
  MemoryScimStore,
  MemorySessionStore,
  MemorySetupLinkStore,
  MemoryStateStore,
  MemoryThrottleStore,
  MemoryTraceStore,
  MemoryUserStore,
  MemoryWebhookStore,
};

/**
 * Every store in memory. Nothing survives a restart; no timer is started, so nothing keeps the process alive.
 *
 * @example
 * ```ts
 * const stores = createMemoryStores({ requests: { maxEntries: 10_000 } });
 * ```
 */
export function createMemoryStores(
  options: { requests?: MemoryCacheOptions; replay?: MemoryCacheOptions } = {},
): Stores {
  return {
    connections: new MemoryConnectionStore(),
    users: new MemoryUserStore(),
    sessions: new MemorySessionStore(),
    requests: new MemoryRequestIdStore(options.requests),
    replay: new MemoryReplayCache(options.replay),
    spKeys: new MemorySpKeyStore(),
    connectionHealth: new MemoryConnectionHealthStore(),
    state: new MemoryStateStore(),
    throttle: new MemoryThrottleStore(),
    locks: new MemoryLockStore(),
    scim: new MemoryScimStore(),
    traces: new MemoryTraceStore(),
    auditLog: new MemoryAuditLogStore(),
    adminTokens: new MemoryAdminTokenStore(),
    webhooks: new MemoryWebhookStore(),
    certificateAlerts: new MemoryCertificateAlertStore(),
    organizations: new MemoryOrganizationStore(),
    setupLinks: new MemorySetupLinkStore(),
    oidc: new MemoryOidcStore(),
    close: async () => {},
  };
}
