/**
 * What the SCIM directory needs to know about organizations, and nothing more: whether one exists, which
 * connections sign its users in, which organization a connection belongs to, and whether the organization
 * accepts only provisioned users. {@link organizationDirectory} answers it from the organization store
 * (issue #12); {@link connectionOrganizations} from connections alone, for a hand-built SP without one (each
 * connection is then an organization of its own, as CONTRACT.md says of a connection created without one).
 */
import type { Connection } from '../core/types.ts';
import { OrganizationCache } from '../sp/connection-cache.ts';
import type { ConnectionStore, OrganizationStore } from '../store/types.ts';

export interface OrganizationDirectory {
  exists(organizationId: string): Promise<boolean>;
  /** The connections whose sign-ins belong to this organization's users. */
  connectionIds(organizationId: string): Promise<string[]>;
  /** The organization a connection belongs to, if any. */
  organizationOf(connection: Connection): Promise<string | undefined>;
  /** Policy `scimOnly`: SAML sign-in only for users the directory provisioned and keeps active. */
  scimOnly(organizationId: string): Promise<boolean>;
}

/**
 * The {@link OrganizationDirectory} of the organization store. `organizations` is a function so that the
 * directory can be built before the ServiceProvider that owns the store (the SP takes the directory).
 *
 * @example
 * ```ts
 * const orgs = organizationDirectory(() => sp.organizations, stores.connections);
 * ```
 */
export function organizationDirectory(
  organizations: () => OrganizationStore,
  connections: ConnectionStore,
): OrganizationDirectory {
  // scimOnly is asked at every sign-in of a user the directory does not know: read through the same kind of
  // cache as the ACS's organization (re-read only when the store says it changed; SQLite: its change counter,
  // already read once for the request).
  let cached: { store: OrganizationStore; cache: OrganizationCache } | undefined;
  const cache = (): OrganizationCache => {
    const store = organizations();
    if (cached?.store !== store) cached = { store, cache: new OrganizationCache(store) };
    return cached.cache;
  };
  return {
    async exists(organizationId) {
      return (await organizations().get(organizationId)) !== undefined;
    },
    async connectionIds(organizationId) {
      const all = await connections.list();
      return all.filter((c) => c.organizationId === organizationId).map((c) => c.id);
    },
    async organizationOf(connection) {
      return connection.organizationId;
    },
    async scimOnly(organizationId) {
      return (await cache().get(organizationId))?.policy.scimOnly === true;
    },
  };
}

/** An {@link OrganizationDirectory} read from the connections alone: `organizationId`, else the connection's id. */
export function connectionOrganizations(connections: ConnectionStore): OrganizationDirectory {
  const organizationIdOf = (c: Connection) => c.organizationId ?? c.id;
  return {
    async exists(organizationId) {
      return (await this.connectionIds(organizationId)).length > 0;
    },
    async connectionIds(organizationId) {
      return (await connections.list())
        .filter((c) => organizationIdOf(c) === organizationId)
        .map((c) => c.id);
    },
    async organizationOf(connection) {
      return organizationIdOf(connection);
    },
    async scimOnly() {
      return false;
    },
  };
}
