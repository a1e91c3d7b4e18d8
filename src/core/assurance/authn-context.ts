/**
 * Assurance: how and when the IdP authenticated the user (SAML core §2.7.2.2 AuthnContext, §3.4.1 ForceAuthn),
 * checked against what the connection and the sign-in asked for. Pure: no clock of its own, no I/O.
 *
 * Vendors say "MFA" in different places, so the evidence is the AuthnContextClassRef plus, for the Microsoft
 * IdPs, the values of the `authnmethodsreferences` claim: Entra ID keeps its class at PasswordProtectedTransport
 * (or X509) after MFA and reports `multipleauthn` only in that claim; AD FS puts `multipleauthn` in both.
 */
import { SamlSpError } from '../errors.ts';
import type { PresetName } from '../types.ts';

/** The SAML 2.0 authentication context classes apps most often name (SAML authn context §3.4). */
export const AC = {
  unspecified: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
  password: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
  passwordProtectedTransport: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  x509: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
  smartcardPki: 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI',
  mobileTwoFactorContract: 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  timeSyncToken: 'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
  kerberos: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos',
  /** Microsoft's MFA class: AD FS's AuthnContextClassRef, Entra ID's and AD FS's authnmethodsreferences value. */
  microsoftMultipleAuthn: 'http://schemas.microsoft.com/claims/multipleauthn',
} as const;

/** The claim in which Entra ID and AD FS list the methods used (one value per method). */
export const AUTHN_METHODS_REFERENCES_CLAIM = 'http://schemas.microsoft.com/claims/authnmethodsreferences';

/** What a vendor sends for multi-factor authentication, and the console setting that makes it do so. */
export interface MfaPreset {
  /** AuthnContextClassRef (or authnmethodsreferences) values that mean MFA for this IdP. Empty: it never says. */
  classRefs: readonly string[];
  /** Whether the IdP may be sent a <RequestedAuthnContext> for these values (Entra ID refuses: AADSTS75011). */
  requestable: boolean;
  /** The IdP setting an admin changes so that MFA happens and is reported, for refusal hints. */
  idpSetting: string;
}

/**
 * MFA per vendor preset, from each vendor's documentation. Keycloak reports the ACR an admin maps in the realm
 * ("ACR to LoA mapping"), so its values are the admin's own names; the preset offers the common `gold`.
 */
export const MFA_PRESETS: Readonly<Record<PresetName, MfaPreset>> = {
  entra: {
    classRefs: [AC.microsoftMultipleAuthn],
    requestable: false,
    idpSetting:
      'In Microsoft Entra ID, require MFA for this enterprise application with a Conditional Access policy ' +
      '(Grant: "Require multifactor authentication"); Entra then reports multipleauthn in the ' +
      'authnmethodsreferences claim. Do not turn on "Send RequestedAuthnContext" for Entra (AADSTS75011).',
  },
  adfs: {
    classRefs: [AC.microsoftMultipleAuthn],
    requestable: true,
    idpSetting:
      'In AD FS, give the relying party trust an access control policy that requires MFA ("Permit everyone ' +
      'and require MFA"), or turn on "Send RequestedAuthnContext" with http://schemas.microsoft.com/claims/multipleauthn.',
  },
  okta: {
    classRefs: ['urn:okta:loa:2fa:any', 'phr', 'phrh'],
    requestable: true,
    idpSetting:
      'In Okta, give this app an authentication policy rule that requires two factors, and turn on "Send ' +
      'RequestedAuthnContext" with urn:okta:loa:2fa:any so that Okta reports the level it enforced (otherwise ' +
      'Okta always sends PasswordProtectedTransport).',
  },
  keycloak: {
    classRefs: ['gold'],
    requestable: true,
    idpSetting:
      'In Keycloak, map an ACR value to a level of authentication (Realm settings → General → ACR to LoA ' +
      'mapping, e.g. gold → 2), add an OTP step at that level to the browser flow, and turn on "Send ' +
      'RequestedAuthnContext" with that ACR value.',
  },
  google: {
    classRefs: [],
    requestable: false,
    idpSetting:
      'Google Workspace does not report 2-Step Verification in SAML assertions: enforce 2SV for the users in ' +
      'the Google Admin console (Security → 2-Step Verification) instead of requiring it here.',
  },
  generic: {
    classRefs: [AC.mobileTwoFactorContract, AC.timeSyncToken, AC.smartcardPki, AC.microsoftMultipleAuthn],
    requestable: true,
    idpSetting:
      'In the IdP, require a second factor for this application and make it report a multi-factor ' +
      'AuthnContextClassRef (for example MobileTwoFactorContract).',
  },
};

/** What the response says about the authentication, as read from signed bytes. */
export interface AuthnEvidence {
  authnInstant?: Date | undefined;
  authnContextClassRef?: string | undefined;
  attributes: Readonly<Record<string, readonly string[]>>;
}

/** What the sign-in demanded: from the connection policy and from the request this response answers. */
export interface AuthnRequirements {
  /** Acceptable AuthnContextClassRef values; empty: any. */
  acceptedContexts: readonly string[];
  /** The connection's preset, to name the IdP setting in a refusal. */
  preset: PresetName;
  /** The request asked for an authentication at most this old (AuthnInstant + maxAge + skew >= now). */
  maxAgeSeconds?: number | undefined;
  /** The request sent ForceAuthn at this time: an AuthnInstant before it (minus skew) means it was ignored. */
  forceAuthnSince?: Date | undefined;
  now: Date;
  skewSeconds: number;
}

/**
 * Checks the authentication's method and age. Returns a one-line summary for the checklist; throws
 * SAML_AUTHN_CONTEXT_NOT_ACCEPTED, SAML_AUTHN_TOO_OLD or SAML_FORCE_AUTHN_IGNORED.
 *
 * @example
 * ```ts
 * checkAuthnRequirements({ authnInstant, authnContextClassRef, attributes },
 *   { acceptedContexts: MFA_PRESETS.adfs.classRefs, preset: 'adfs', maxAgeSeconds: 600, now, skewSeconds: 120 });
 * ```
 */
export function checkAuthnRequirements(
  evidence: AuthnEvidence,
  required: AuthnRequirements,
): string | undefined {
  const notes: string[] = [];
  if (required.acceptedContexts.length > 0) {
    const used = evidenceValues(evidence);
    const match = required.acceptedContexts.find((accepted) => used.includes(accepted));
    if (!match) {
      throw new SamlSpError(
        'SAML_AUTHN_CONTEXT_NOT_ACCEPTED',
        `The IdP authenticated the user with ${describeUsed(evidence)}, which this connection does not accept.`,
        {
          hint: `The connection requires one of: ${required.acceptedContexts.join(', ')}. ${MFA_PRESETS[required.preset].idpSetting}`,
          details: {
            authnContextClassRef: evidence.authnContextClassRef ?? null,
            authnMethodsReferences: [...(evidence.attributes[AUTHN_METHODS_REFERENCES_CLAIM] ?? [])],
            accepted: [...required.acceptedContexts],
          },
          status: 403,
        },
      );
    }
    notes.push(`context ${match} accepted`);
  }
  const skewMs = required.skewSeconds * 1000;
  if (required.forceAuthnSince) {
    const instant = evidence.authnInstant;
    if (!instant || instant.getTime() < required.forceAuthnSince.getTime() - skewMs) {
      throw new SamlSpError(
        'SAML_FORCE_AUTHN_IGNORED',
        instant
          ? `The sign-in asked the IdP to authenticate the user again, but the assertion reports an authentication from ${instant.toISOString()}, before the request (${required.forceAuthnSince.toISOString()}).`
          : 'The sign-in asked the IdP to authenticate the user again, but the assertion has no AuthnInstant to show it did.',
        {
          hint: 'The IdP ignored ForceAuthn="true". Check that the IdP honours ForceAuthn for this application (and that its clock is right); sign in again.',
          details: {
            authnInstant: instant?.toISOString() ?? null,
            requestedAt: required.forceAuthnSince.toISOString(),
          },
          status: 403,
        },
      );
    }
    notes.push('fresh authentication (ForceAuthn)');
  }
  if (required.maxAgeSeconds !== undefined) {
    const instant = evidence.authnInstant;
    const ageSeconds = instant ? Math.round((required.now.getTime() - instant.getTime()) / 1000) : undefined;
    if (ageSeconds === undefined || ageSeconds * 1000 > required.maxAgeSeconds * 1000 + skewMs) {
      throw new SamlSpError(
        'SAML_AUTHN_TOO_OLD',
        ageSeconds === undefined
          ? `The sign-in required an authentication at most ${required.maxAgeSeconds} s old, but the assertion has no AuthnInstant.`
          : `The user authenticated at the IdP ${ageSeconds} s ago; this sign-in allowed at most ${required.maxAgeSeconds} s.`,
        {
          hint: 'Sign in again with forceAuthn=1 so that the IdP asks for the password afresh, or raise maxAge.',
          details: {
            authnInstant: instant?.toISOString() ?? null,
            ageSeconds: ageSeconds ?? null,
            maxAgeSeconds: required.maxAgeSeconds,
          },
          status: 403,
        },
      );
    }
    notes.push(`authenticated ${ageSeconds} s ago (max ${required.maxAgeSeconds} s)`);
  }
  return notes.length > 0 ? notes.join('; ') : undefined;
}

function evidenceValues(evidence: AuthnEvidence): string[] {
  return [
    ...(evidence.authnContextClassRef ? [evidence.authnContextClassRef] : []),
    ...(evidence.attributes[AUTHN_METHODS_REFERENCES_CLAIM] ?? []),
  ];
}

function describeUsed(evidence: AuthnEvidence): string {
  const values = evidenceValues(evidence);
  return values.length > 0 ? values.join(' + ') : 'no AuthnContextClassRef';
}
