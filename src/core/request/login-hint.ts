/**
 * Passing the email a user already typed (on the discovery page) to the IdP, so they need not type it again.
 * SAML has one standard place for it, `<saml:Subject><saml:NameID>` in the AuthnRequest, but IdPs disagree,
 * and an unwelcome Subject is an error at some of them, so each preset says what its IdP accepts:
 *
 * - keycloak: the Subject's NameID (Keycloak reads it as the login hint and pre-fills the username;
 *   KEYCLOAK-3651, and Keycloak's own SAML broker sends it this way since KEYCLOAK-13950).
 * - entra: a `login_hint` query parameter on the HTTP-Redirect URL. Entra refuses an AuthnRequest that carries
 *   a Subject ("Microsoft Entra ID doesn't support specifying a subject"), and documents `login_hint` as the
 *   alternative. The parameter is outside the Redirect-binding signature (which covers SAMLRequest,
 *   RelayState and SigAlg only), so it changes nothing that is signed.
 * - okta, adfs, google, generic: nothing. AD FS ignores the Subject; Okta and Google document no SAML login
 *   hint. Sending nothing is always safe.
 */
import type { PresetName } from '../types.ts';

/** Where a preset's IdP reads a login hint from. */
export type LoginHintMethod = 'subject-name-id' | 'query-login-hint' | 'none';

export const LOGIN_HINT_METHODS: Readonly<Record<PresetName, LoginHintMethod>> = Object.freeze({
  keycloak: 'subject-name-id',
  entra: 'query-login-hint',
  okta: 'none',
  adfs: 'none',
  google: 'none',
  generic: 'none',
});

/**
 * A login hint we are willing to send: an email address of sane length with nothing that needs escaping
 * beyond what XML and URLs escape anyway. Anything else is dropped (a hint is a convenience, never required).
 *
 * @example
 * ```ts
 * acceptableLoginHint(' alice@example.com '); // 'alice@example.com'
 * acceptableLoginHint('<x>'); // undefined
 * ```
 */
export function acceptableLoginHint(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const hint = value.trim();
  return hint.length <= 254 && /^[^\s@<>"'&]+@[^\s@<>"'&]+\.[^\s@<>"'&]+$/.test(hint) ? hint : undefined;
}
