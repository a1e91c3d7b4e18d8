/**
 * `acr` and `amr` for the bridge's ID tokens, from how the IdP said it authenticated the user. Pure.
 *
 * - `acr` is the SAML AuthnContextClassRef as the IdP sent it (a URI such as
 *   `urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport`, or a realm's own name such as `gold`):
 *   an app that needs a level compares it with the values it knows, as it would in SAML.
 * - `amr` (RFC 8176 method values) is derived from the table below, plus `mfa` when the class is one the
 *   connection's vendor preset reports for multi-factor sign-ins (MFA_PRESETS) or when the Microsoft
 *   `authnmethodsreferences` attribute (Entra ID, AD FS) lists `multipleauthn`. Nothing recognisable: no `amr`
 *   (an unknown method is better left unsaid than guessed).
 */
import { AC, AUTHN_METHODS_REFERENCES_CLAIM, MFA_PRESETS } from '../core/assurance/authn-context.ts';
import type { PresetName } from '../core/types.ts';

/** AuthnContextClassRef → RFC 8176 `amr` values. README "The OpenID bridge" shows the same table. */
export const AMR_BY_CLASS_REF: Readonly<Record<string, readonly string[]>> = {
  [AC.password]: ['pwd'],
  [AC.passwordProtectedTransport]: ['pwd'],
  [AC.x509]: ['swk'],
  [AC.smartcardPki]: ['sc', 'hwk'],
  'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard': ['sc'],
  [AC.timeSyncToken]: ['otp'],
  [AC.mobileTwoFactorContract]: ['mfa'],
  [AC.microsoftMultipleAuthn]: ['mfa'],
};

/** Values of the Microsoft `authnmethodsreferences` attribute → `amr`. */
const AMR_BY_MICROSOFT_METHOD: Readonly<Record<string, readonly string[]>> = {
  [AC.microsoftMultipleAuthn]: ['mfa'],
  'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password': ['pwd'],
  'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/x509': ['swk'],
  'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/windows': ['pwd'],
};

export interface AuthnClaims {
  acr?: string;
  amr?: string[];
}

/**
 * @example
 * authnClaims({ contextClassRef: AC.passwordProtectedTransport, preset: 'generic', attributes: {} })
 * // { acr: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', amr: ['pwd'] }
 */
export function authnClaims(input: {
  contextClassRef?: string | undefined;
  preset?: PresetName | undefined;
  attributes?: Record<string, string[]> | undefined;
}): AuthnClaims {
  const amr = new Set<string>();
  const classRef = input.contextClassRef;
  if (classRef) {
    for (const value of AMR_BY_CLASS_REF[classRef] ?? []) amr.add(value);
    if (input.preset && MFA_PRESETS[input.preset]?.classRefs.includes(classRef)) amr.add('mfa');
  }
  for (const method of input.attributes?.[AUTHN_METHODS_REFERENCES_CLAIM] ?? []) {
    for (const value of AMR_BY_MICROSOFT_METHOD[method] ?? []) amr.add(value);
  }
  return {
    ...(classRef ? { acr: classRef } : {}),
    ...(amr.size > 0 ? { amr: [...amr].sort() } : {}),
  };
}
