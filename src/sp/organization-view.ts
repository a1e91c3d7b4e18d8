/**
 * How organizations are shown to admins (API, page, CLI): the stored record, each domain's DNS challenge (the
 * TXT record that proves control of it), the connections the organization owns and what its policy does now.
 */
import { type Organization, type OrganizationDomain, restrictsEmailDomains } from '../core/organization.ts';
import type { Connection } from '../core/types.ts';

/** The DNS record a customer publishes to prove control of a domain (see {@link domainChallenge}). */
export interface DomainChallenge {
  /** The owner name of the TXT record, e.g. `_saml-sp-kit-challenge.example.com`. */
  name: string;
  type: 'TXT';
  /** The TXT value, e.g. `saml-sp-kit-verification=3q2+7w…`. */
  value: string;
}

/** The prefix of the record name: a leading underscore keeps it out of the way of real host names. */
export const CHALLENGE_LABEL = '_saml-sp-kit-challenge';
/** The prefix of the TXT value, so one name can carry several vendors' challenges side by side. */
export const CHALLENGE_VALUE_PREFIX = 'saml-sp-kit-verification=';

/**
 * The TXT record that proves control of `domain` for one organization: one record per claim, so a value
 * published for one organization never verifies another.
 *
 * @example
 * ```ts
 * domainChallenge({ domain: 'example.com', verificationToken: 'abc' });
 * // { name: '_saml-sp-kit-challenge.example.com', type: 'TXT', value: 'saml-sp-kit-verification=abc' }
 * ```
 */
export function domainChallenge(
  domain: Pick<OrganizationDomain, 'domain' | 'verificationToken'>,
): DomainChallenge {
  return {
    name: `${CHALLENGE_LABEL}.${domain.domain}`,
    type: 'TXT',
    value: `${CHALLENGE_VALUE_PREFIX}${domain.verificationToken}`,
  };
}

/** An organization as the admin API shows it: the stored record plus what an admin acts on. */
export interface OrganizationView extends Omit<Organization, 'domains'> {
  domains: (OrganizationDomain & { challenge: DomainChallenge })[];
  /** Ids of the connections this organization owns. */
  connections: string[];
  /** What the policy does right now (a switched-on restriction waits for a verified domain). */
  enforcement: {
    restrictToVerifiedDomains: 'active' | 'waiting-for-verified-domain' | 'off';
  };
}

/**
 * An organization as the admin API shows it, given every connection (to list the ones it owns).
 *
 * @example
 * ```ts
 * res.json(organizationView(organization, await stores.connections.list()));
 * ```
 */
export function organizationView(organization: Organization, connections: Connection[]): OrganizationView {
  const restricting = restrictsEmailDomains(organization);
  return {
    ...organization,
    domains: organization.domains.map((d) => ({ ...d, challenge: domainChallenge(d) })),
    connections: connections.filter((c) => c.organizationId === organization.id).map((c) => c.id),
    enforcement: {
      restrictToVerifiedDomains: restricting
        ? 'active'
        : organization.policy.restrictToVerifiedDomains
          ? 'waiting-for-verified-domain'
          : 'off',
    },
  };
}
