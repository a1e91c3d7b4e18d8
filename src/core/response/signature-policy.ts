/**
 * Step 10: are the signatures the connection requires there? Every signature present has already been
 * verified (a present but bad signature is always an error, whatever the policy); this step only asks
 * whether a trusted signature covers the assertion the way `policy.wantSigned` demands.
 *
 * The default, 'response-or-assertion' (issue #9, item 9), accepts what IdPs send by default: an assertion
 * signature (Entra, ADFS, Okta, Google's default) or a Response signature that covers the assertion (SAML
 * profiles §4.1.3.5; Keycloak's console default, Google's "Signed response"), as Shibboleth and python3-saml
 * do. Either is safe because the validator then reads only the bytes that signature covers. node-saml v4's
 * response-only default broke Entra logins (passport-saml #816, #863); a default that demands the assertion
 * signature breaks Keycloak's. 'assertion' and 'response-and-assertion' stay per-connection options, and the
 * hints name the exact IdP switch to flip.
 */
import { SamlSpError } from '../errors.ts';
import type { SignatureRequirement } from '../types.ts';

/** Which signatures verified. */
export interface SignaturesFound {
  response?: unknown;
  assertion?: unknown;
}

/**
 * Throws SAML_SIGNATURE_MISSING unless the verified signatures satisfy `requirement`.
 *
 * @example
 * ```ts
 * checkSignaturePolicy('assertion', { assertion: verifiedAssertionSignature });
 * ```
 */
export function checkSignaturePolicy(requirement: SignatureRequirement, found: SignaturesFound): void {
  const response = found.response !== undefined;
  const assertion = found.assertion !== undefined;
  const details = { wantSigned: requirement, responseSigned: response, assertionSigned: assertion };

  if (!response && !assertion) {
    throw new SamlSpError('SAML_SIGNATURE_MISSING', 'Neither the Response nor the Assertion is signed.', {
      hint: 'Configure the IdP to sign the assertion or the whole response (Okta: Assertion Signature "Signed"; Entra: "Sign SAML assertion"; ADFS: SamlResponseSignature AssertionOnly or MessageAndAssertion; Keycloak: "Sign documents" or "Sign assertions" on; Google: "Signed response").',
      details,
    });
  }
  if (requirement === 'assertion' && !assertion) {
    throw new SamlSpError('SAML_SIGNATURE_MISSING', 'The Response is signed but the Assertion is not.', {
      hint: 'This connection requires the assertion itself to be signed (policy.wantSigned = "assertion"). Sign the assertion at the IdP (Entra: signing option "Sign SAML response and assertion"; ADFS: Set-AdfsRelyingPartyTrust -SamlResponseSignature MessageAndAssertion; Keycloak: "Sign assertions" on), or accept a Response signature that covers the assertion with policy.wantSigned = "response-or-assertion", the default.',
      details,
    });
  }
  if (requirement === 'response-and-assertion' && !(response && assertion)) {
    throw new SamlSpError(
      'SAML_SIGNATURE_MISSING',
      `The connection requires both signatures; the ${response ? 'Assertion' : 'Response'} is not signed.`,
      {
        hint: 'Configure the IdP to sign both the response and the assertion (Entra: "Sign SAML response and assertion"; ADFS: -SamlResponseSignature MessageAndAssertion), or relax policy.wantSigned for this connection.',
        details,
      },
    );
  }
}
