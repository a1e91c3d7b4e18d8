/**
 * Step 10: are the signatures the connection requires there? Every signature present has already been
 * verified (a present but bad signature is always an error, whatever the policy); this step only asks
 * whether a trusted signature covers the assertion the way `policy.wantSigned` demands.
 *
 * The default, 'assertion', matches what Entra, ADFS and Google send by default and is what the assertion's
 * integrity needs when responses pass through other hands; node-saml v4's response-only default broke Entra
 * logins (passport-saml #816, #863), so the hints name the exact IdP switch to flip.
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
      hint: 'Configure the IdP to sign the assertion (Okta: Assertion Signature "Signed"; Entra: "Sign SAML assertion"; ADFS: SamlResponseSignature AssertionOnly or MessageAndAssertion; Keycloak: "Sign assertions" on).',
      details,
    });
  }
  if (requirement === 'assertion' && !assertion) {
    throw new SamlSpError('SAML_SIGNATURE_MISSING', 'The Response is signed but the Assertion is not.', {
      hint: 'Sign the assertion at the IdP (Entra: signing option "Sign SAML response and assertion"; ADFS: Set-AdfsRelyingPartyTrust -SamlResponseSignature MessageAndAssertion; Keycloak: "Sign assertions" on), or accept a Response signature for this connection with policy.wantSigned = "response-or-assertion".',
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
