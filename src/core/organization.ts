/**
 * Organizations: the customers of the app. An organization owns connections (each connection names it with
 * `organizationId`), email domains and a sign-in policy. Plain, serialisable data like `types.ts`; the rules
 * that need no I/O (domain spelling, which email domains a policy admits) live here too.
 */

/** How a domain was proven to belong to the organization. */
export type DomainVerificationMethod = 'dns' | 'admin';

/** One email domain an organization claims. */
export interface OrganizationDomain {
  /** Lower-case, ASCII (IDNs in their `xn--` form), no trailing dot: `example.com`. */
  domain: string;
  verified: boolean;
  /** When it was verified (ISO); absent while pending. */
  verifiedAt?: string;
  /** How it was verified; absent while pending. */
  verificationMethod?: DomainVerificationMethod;
  /** Who verified it (an admin's name, or the actor that ran the DNS check); absent while pending. */
  verifiedBy?: string;
  /**
   * The random value the customer publishes in a DNS TXT record to prove control of the domain. One per
   * (organization, domain) claim, so a record published for one organization never verifies another.
   */
  verificationToken: string;
  /** When the domain was added (ISO). */
  createdAt: string;
}

/** What an organization demands of its sign-ins. */
export interface OrganizationPolicy {
  /**
   * Users of the organization's verified domains must sign in through SSO: the app asks
   * `sp.requiresSso(email)` before offering a password form. Off by default.
   */
  ssoRequired: boolean;
  /**
   * Refuse a sign-in whose asserted email is not in one of the organization's verified domains
   * (`SAML_EMAIL_DOMAIN_NOT_VERIFIED`). Stored as `true` by default, and enforced as soon as the organization
   * has at least one verified domain: "on by default once a domain is verified". An organization without a
   * verified domain has nothing to restrict to, so its sign-ins are not restricted yet (the admin views say
   * so: `enforcement.restrictToVerifiedDomains` is `"waiting-for-verified-domain"`). Set `false` to turn
   * the restriction off for good (an IdP that also asserts contractors' outside addresses).
   */
  restrictToVerifiedDomains: boolean;
  /**
   * Just-in-time provisioning: a first sign-in creates the user. On by default. Off: only users that
   * already exist (provisioned by SCIM, or signed in before) may sign in (`SAML_JIT_DISABLED`).
   */
  jit: boolean;
  /**
   * Directory-only sign-in (issue #14): a SAML sign-in is accepted only for a user the organization's SCIM
   * directory provisioned and keeps active (`SAML_USER_NOT_PROVISIONED` otherwise). Off (absent) by default.
   */
  scimOnly?: boolean;
}

export const DEFAULT_ORGANIZATION_POLICY: Readonly<OrganizationPolicy> = Object.freeze({
  ssoRequired: false,
  restrictToVerifiedDomains: true,
  jit: true,
});

/** A customer: owns connections, domains, a policy (and, later, a SCIM directory and setup links). */
export interface Organization {
  id: string;
  name: string;
  domains: OrganizationDomain[];
  policy: OrganizationPolicy;
  createdAt: string;
  updatedAt: string;
}

/**
 * Spells a domain the one way the stores keep it: trimmed, lower-case, no trailing dot, IDNs in ASCII
 * (`bücher.example` → `xn--bcher-kva.example`). Returns undefined for something that is not a domain name with
 * at least two labels.
 *
 * @example
 * ```ts
 * normalizeDomain(' Example.COM. '); // 'example.com'
 * normalizeDomain('localhost'); // undefined
 * ```
 */
export function normalizeDomain(input: string): string | undefined {
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > 253 || /[\s/@:]/.test(trimmed)) return undefined;
  // The WHATWG URL parser applies IDNA (UTS #46) and lower-cases; it also refuses forbidden characters.
  const host = URL.parse(`http://${trimmed}/`)?.hostname;
  if (!host) return undefined;
  const labels = host.split('.');
  if (labels.length < 2) return undefined;
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
  if (!labels.every((l) => label.test(l))) return undefined;
  // A top-level label of digits only would be an IPv4 address, which is not an email domain here.
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return undefined;
  return host;
}

/**
 * The domain part of an email address, normalized; undefined when the address has none.
 *
 * @example
 * ```ts
 * emailDomain('Alice@Example.com'); // 'example.com'
 * ```
 */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  return normalizeDomain(email.slice(at + 1));
}

/** The organization's verified domains. */
export function verifiedDomains(organization: Pick<Organization, 'domains'>): string[] {
  return organization.domains.filter((d) => d.verified).map((d) => d.domain);
}

/**
 * Whether the verified-domain restriction is in force now: on in the policy and at least one verified domain
 * to restrict to (see {@link OrganizationPolicy.restrictToVerifiedDomains}).
 */
export function restrictsEmailDomains(organization: Pick<Organization, 'domains' | 'policy'>): boolean {
  return organization.policy.restrictToVerifiedDomains && organization.domains.some((d) => d.verified);
}

/**
 * Whether an asserted email passes the organization's domain policy: always when the restriction is not in
 * force, otherwise only an address in one of the verified domains (exactly: a subdomain is a domain of its
 * own and must be verified itself).
 */
export function emailDomainAllowed(
  organization: Pick<Organization, 'domains' | 'policy'>,
  email: string | undefined,
): boolean {
  if (!restrictsEmailDomains(organization)) return true;
  const domain = email === undefined ? undefined : emailDomain(email);
  return domain !== undefined && verifiedDomains(organization).includes(domain);
}
