/** All five stores in process memory: `DATABASE_URL=memory:`, tests, and the default caches beside SQLite. */
import type { Stores } from '../types.ts';
import { MemoryAdminTokenStore, MemoryAuditLogStore } from './audit.ts';
import { MemoryConnectionHealthStore } from './connection-health.ts';
import { MemoryConnectionStore } from './connections.ts';
import { MemoryOrganizationStore } from './organizations.ts';
import { MemoryReplayCache } from './replay.ts';
import { MemorySetupLinkStore } from './setup-links.ts';

export { DEFAULT_MAX_REPLAY_ENTRIES, replayDigest } from './replay.ts';

import { type MemoryCacheOptions, MemoryRequestIdStore } from './requests.ts';
import { MemorySessionStore } from './sessions.ts';
import { MemoryLockStore, MemoryStateStore, MemoryThrottleStore } from './shared-state.ts';
import { MemoryTraceStore } from './traces.ts';
import { MemoryUserStore } from './users.ts';

export { DEFAULT_MAX_ENTRIES } from './expiring-map.ts';
export type { MemoryCacheOptions } from './requests.ts';
export {
  MemoryAdminTokenStore,
  MemoryAuditLogStore,
  MemoryConnectionHealthStore,
  MemoryConnectionStore,
  MemoryLockStore,
  MemoryOrganizationStore,
  MemoryReplayCache,
  MemoryRequestIdStore,
  MemorySessionStore,
  MemorySetupLinkStore,
  MemoryStateStore,
  MemoryThrottleStore,
  MemoryTraceStore,
  MemoryUserStore,
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
    connectionHealth: new MemoryConnectionHealthStore(),
    state: new MemoryStateStore(),
    throttle: new MemoryThrottleStore(),
    locks: new MemoryLockStore(),
    traces: new MemoryTraceStore(),
    auditLog: new MemoryAuditLogStore(),
    adminTokens: new MemoryAdminTokenStore(),
    organizations: new MemoryOrganizationStore(),
    setupLinks: new MemorySetupLinkStore(),
    close: async () => {},
  };
}
