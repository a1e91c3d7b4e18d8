/**
 * The seam to domain verification (issue #12 item 1, built by the organizations work): what the portal's
 * domain step needs, and nothing more. The server passes an implementation once the organizations service
 * has DNS TXT verification; without one, the step says verification is not available here.
 */
import type { ChangeContext } from '../../sp/change-context.ts';

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
