/**
 * What the SCIM directory needs to know about organizations, and nothing more: whether one exists, which
 * connections sign its users in, and which organization a connection belongs to. The organization service
 * (src/org) answers it; {@link connectionOrganizations} answers it from connections alone, for an SP that
 * has connections but no organization store (each connection is then an organization of its own, as
 * CONTRACT.md says of a connection created without one).
 */
import type { Connection } from '../core/types.ts';
import type { ConnectionStore } from '../store/types.ts';

export interface OrganizationDirectory {
  exists(organizationId: string): Promise<boolean>;
  /** The connections whose sign-ins belong to this organization's users. */
  connectionIds(organizationId: string): Promise<string[]>;
  /** The organization a connection belongs to, if any. */
  organizationOf(connection: Connection): Promise<string | undefined>;
}

/** The organization id a connection names, else its own id. */
function organizationIdOf(connection: Connection): string {
  const named = (connection as { organizationId?: unknown }).organizationId;
  return typeof named === 'string' && named !== '' ? named : connection.id;
}

/**
 * An {@link OrganizationDirectory} read from the connections: a connection's `organizationId` when it has one,
 * else the connection's own id.
 *
 * @example
 * ```ts
 * const orgs = connectionOrganizations(stores.connections);
 * await orgs.connectionIds('acme'); // ['acme-okta', 'acme-entra']
 * ```
 */
export function connectionOrganizations(connections: ConnectionStore): OrganizationDirectory {
  return {
    async exists(organizationId) {
      return (await this.connectionIds(organizationId)).length > 0;
    },
    async connectionIds(organizationId) {
      const all = await connections.list();
      return all.filter((c) => organizationIdOf(c) === organizationId).map((c) => c.id);
    },
    async organizationOf(connection) {
      return organizationIdOf(connection);
    },
  };
}
