/**
 * Sign-in by work email ("home realm discovery"): email -> the organization that holds its domain VERIFIED ->
 * that organization's usable connections. A pending (unverified) claim never routes anybody: anyone can claim
 * a domain, only its owner can verify it.
 */
import { emailDomain, type Organization } from '../core/organization.ts';
import type { Connection } from '../core/types.ts';
import type { ConnectionStore, OrganizationStore } from '../store/types.ts';

/** What discovery found for an email address. */
export interface Discovery {
  organization: Organization;
  /** The domain that matched (normalized). */
  domain: string;
  /** The organization's connections a user can sign in through now, by display name; several: let them choose. */
  connections: Connection[];
}

/**
 * Whether a connection can take sign-ins: it has an SSO endpoint and a trusted certificate. (Draft
 * connections, created before their metadata arrived, have neither; a connection state added later belongs
 * here too.)
 */
export function isConnectionUsable(connection: Connection): boolean {
  return (
    connection.ssoEndpoints.some((e) => e.binding === 'redirect' || e.binding === 'post') &&
    connection.signingCertificates.length > 0
  );
}

/**
 * Discovery over the stores. Undefined when the address has no domain, no organization holds its domain
 * verified, or that organization has no usable connection: callers must answer those cases alike, so that a
 * stranger learns no more than "single sign-on is set up for this address, or not".
 *
 * @example
 * ```ts
 * const found = await discover({ organizations, connections }, 'alice@example.com');
 * if (found?.connections.length === 1) redirect(`/saml/${found.connections[0].id}/login`);
 * ```
 */
export async function discover(
  stores: { organizations: OrganizationStore; connections: ConnectionStore },
  email: string,
): Promise<Discovery | undefined> {
  const domain = emailDomain(email);
  if (domain === undefined) return undefined;
  const organization = await stores.organizations.findByDomain(domain);
  if (!organization?.domains.some((d) => d.domain === domain && d.verified)) return undefined;
  const connections = (await stores.connections.list())
    .filter((c) => c.organizationId === organization.id && isConnectionUsable(c))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  if (connections.length === 0) return undefined;
  return { organization, domain, connections };
}
