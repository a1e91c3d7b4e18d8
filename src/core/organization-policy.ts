/**
 * The organization's sign-in policy, applied to an assertion that passed every SAML check: the asserted email
 * must be in a verified domain (while the restriction is in force), and without JIT provisioning only users
 * that already exist may sign in. Pure: the caller looks the organization and the user up.
 */
import { SamlSpError } from './errors.ts';
import { emailDomain, emailDomainAllowed, type Organization, verifiedDomains } from './organization.ts';
import type { MappedProfile } from './types.ts';

export interface SignInPolicyInput {
  organization: Organization;
  connectionId: string;
  profile: Pick<MappedProfile, 'email'>;
  /** Whether the user already exists locally (signed in before, or provisioned by SCIM). */
  userExists: boolean;
}

/**
 * Throws SAML_EMAIL_DOMAIN_NOT_VERIFIED (403) or SAML_JIT_DISABLED (403) when the organization's policy
 * refuses this sign-in; returns otherwise.
 *
 * @example
 * ```ts
 * checkSignInPolicy({ organization, connectionId: 'acme', profile, userExists: false });
 * ```
 */
export function checkSignInPolicy(input: SignInPolicyInput): void {
  const { organization, connectionId, profile } = input;
  if (!emailDomainAllowed(organization, profile.email)) {
    const domains = verifiedDomains(organization);
    const asserted = profile.email === undefined ? undefined : emailDomain(profile.email);
    throw new SamlSpError(
      'SAML_EMAIL_DOMAIN_NOT_VERIFIED',
      profile.email === undefined
        ? `The IdP asserted no email address, and organization "${organization.id}" accepts only addresses in its verified domains (${domains.join(', ')}).`
        : `The IdP asserted "${profile.email}", whose domain${asserted ? ` "${asserted}"` : ''} is not a verified domain of organization "${organization.id}" (${domains.join(', ')}).`,
      {
        hint: `Administrators: add and verify the user's email domain for organization "${organization.id}" (admin page or API), map the IdP attribute that carries the work email, or turn the organization's restrictToVerifiedDomains policy off.`,
        status: 403,
        details: {
          organizationId: organization.id,
          connectionId,
          ...(asserted ? { emailDomain: asserted } : {}),
          verifiedDomains: domains,
        },
      },
    );
  }
  if (!organization.policy.jit && !input.userExists) {
    throw new SamlSpError(
      'SAML_JIT_DISABLED',
      `Organization "${organization.id}" does not create users at their first sign-in, and this user does not exist yet.`,
      {
        hint: `Administrators: provision the user first (SCIM, or your app), or turn JIT provisioning on for organization "${organization.id}".`,
        status: 403,
        details: { organizationId: organization.id, connectionId },
      },
    );
  }
}
