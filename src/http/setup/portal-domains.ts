/**
 * The seam to domain verification (issue #12 item 1, built by the organizations work): what the portal's
 * domain step needs, and nothing more. {@link organizationPortalDomains} implements it on the organizations
 * service; without an implementation, the step says verification is not available here.
 */
import { isAdminError } from '../../sp/admin-errors.ts';
import type { ChangeContext } from '../../sp/change-context.ts';
import { domainChallenge, type OrganizationService } from '../../sp/organization-service.ts';

export interface PortalDomain {
  domain: string;
  verified: boolean;
  /** The TXT record to publish: its name (e.g. `_saml-sp-challenge.example.com`) and value. */
  txtName: string;
  txtValue: string;
}

export interface PortalDomains {
  list(organizationId: string): Promise<PortalDomain[]>;
  /** Adds an unverified domain to the organization (idempotent). */
  add(organizationId: string, domain: string, context?: ChangeContext): Promise<void>;
  /** Looks the TXT record up now; `message` says what was found when it does not match. */
  verify(
    organizationId: string,
    domain: string,
    context?: ChangeContext,
  ): Promise<{ verified: boolean; message: string }>;
}

/**
 * The portal's domain step on the organizations service: DNS TXT verification with its resolver (DNS_SERVERS).
 *
 * @example
 * ```ts
 * setupPortal({ ...options, domains: organizationPortalDomains(organizations) });
 * ```
 */
export function organizationPortalDomains(organizations: OrganizationService): PortalDomains {
  return {
    async list(organizationId) {
      const organization = await organizations.get(organizationId);
      return organization.domains.map((d) => {
        const challenge = domainChallenge(d);
        return { domain: d.domain, verified: d.verified, txtName: challenge.name, txtValue: challenge.value };
      });
    },
    async add(organizationId, domain, context = {}) {
      await organizations.addDomain(organizationId, domain, context);
    },
    async verify(organizationId, domain, context = {}) {
      try {
        await organizations.verifyDomain(organizationId, domain, context);
        return { verified: true, message: `${domain} is verified.` };
      } catch (err) {
        // The record is missing or wrong: a plain answer for the customer. A resolver outage stays an error (503).
        if (isAdminError(err) && err.code === 'DOMAIN_VERIFICATION_FAILED') {
          return { verified: false, message: `${err.message} ${err.hint}` };
        }
        throw err;
      }
    },
  };
}
