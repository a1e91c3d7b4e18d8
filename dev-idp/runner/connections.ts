/**
 * The SP side of the Keycloak realm: one connection per realm client (keycloak, kc-entra, kc-adfs, kc-okta),
 * created from Keycloak's SAML descriptor with the preset the client imitates. Re-running it refreshes the
 * metadata and keeps what an admin changed on the connection (attribute mapping, policy, requested NameID format).
 */

import type { Connection } from '../../src/core/types.ts';
import { connectionFromMetadata } from '../../src/sp/connections.ts';
import type { ConnectionStore } from '../../src/store/types.ts';
import { KEYCLOAK_CONNECTIONS, spEntityIdFor } from './realm.ts';

export interface ConnectKeycloakOptions {
  connections: ConnectionStore;
  /** The realm's descriptor XML (fetchDescriptor). */
  metadataXml: string;
  /** The SP's base URL and entity ID, as the realm was rendered with. */
  sp: { baseUrl: string; entityId: string };
  now?: Date;
}

/**
 * Creates or refreshes the four Keycloak connections.
 *
 * @example
 * ```ts
 * await connectKeycloak({ connections: stores.connections, metadataXml, sp: { baseUrl, entityId } });
 * ```
 */
export async function connectKeycloak(options: ConnectKeycloakOptions): Promise<Connection[]> {
  const now = options.now ?? new Date();
  const result: Connection[] = [];
  for (const spec of KEYCLOAK_CONNECTIONS) {
    const existing = await options.connections.get(spec.connectionId);
    const connection = connectionFromMetadata(
      {
        id: spec.connectionId,
        displayName: spec.displayName,
        metadataXml: options.metadataXml,
        preset: spec.preset,
        ...(spec.ownEntityId ? { spEntityId: spEntityIdFor(spec, options.sp) } : {}),
        ...(existing ? { attributeMapping: existing.attributeMapping, policy: existing.policy } : {}),
      },
      now,
    );
    const stored: Connection = existing
      ? {
          ...connection,
          ...(existing.requestedNameIdFormat
            ? { requestedNameIdFormat: existing.requestedNameIdFormat }
            : {}),
          createdAt: existing.createdAt,
        }
      : connection;
    await options.connections.put(stored);
    result.push(stored);
  }
  return result;
}
