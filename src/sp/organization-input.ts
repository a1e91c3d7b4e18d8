/**
 * The shapes the admin API, the admin page and the CLI accept for organizations, as zod schemas (STYLE habit
 * 14). Unknown keys are refused, so a typo ("ssoRequried") is an error rather than a silently ignored setting.
 */
import { z } from 'zod';
import { CONNECTION_ID } from './connection-input.ts';

/** Organization ids appear in URLs (/scim/v2/:organizationId): the same alphabet as connection ids. */
export const ORGANIZATION_ID = CONNECTION_ID;

/** A domain as typed; the service normalizes it and refuses what is not a domain (DOMAIN_INVALID). */
const domainText = z.string().trim().min(1).max(253);

export const organizationPolicySchema = z.strictObject({
  ssoRequired: z.boolean().optional(),
  restrictToVerifiedDomains: z.boolean().optional(),
  jit: z.boolean().optional(),
  /** Issue #14: SAML sign-in only for users the SCIM directory provisioned. */
  scimOnly: z.boolean().optional(),
});

/** POST /admin/api/organizations (CONTRACT.md). */
export const createOrganizationSchema = z.strictObject({
  id: z.string().regex(ORGANIZATION_ID, 'letters, digits, - and _ only (at most 63)').optional(),
  name: z.string().trim().min(1).max(200),
  /** Email domains the organization claims; each starts unverified. */
  domains: z.array(domainText).max(100).optional(),
  policy: organizationPolicySchema.optional(),
});

export type CreateOrganizationInput = z.input<typeof createOrganizationSchema>;

/** PATCH /admin/api/organizations/:id. */
export const updateOrganizationSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  /**
   * The complete list of domains: domains kept keep their verification; new ones start unverified; domains
   * left out are removed.
   */
  domains: z.array(domainText).max(100).optional(),
  /** Merged into the current policy. */
  policy: organizationPolicySchema.optional(),
});

export type UpdateOrganizationInput = z.input<typeof updateOrganizationSchema>;

/** POST /admin/api/organizations/:id/domains. */
export const addDomainSchema = z.strictObject({ domain: domainText });

/** POST /admin/api/organizations/:id/domains/:domain/verify. */
export const verifyDomainSchema = z.strictObject({
  /** `dns` (default) looks the TXT record up; `admin` records the app admin's word for it. */
  method: z.enum(['dns', 'admin']).optional(),
});
