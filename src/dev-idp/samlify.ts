/**
 * The one place the development IdP touches samlify's global configuration, plus the algorithm URIs it signs and
 * encrypts with. samlify is a second, independent SAML implementation: the SP side of this project never uses it,
 * so a sign-in against the dev IdP is a real interoperability check rather than our code talking to itself.
 */
import * as samlify from 'samlify';

/** XML-DSig signature algorithms the dev IdP can sign with. */
export const SIGNATURE_ALGORITHMS = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;

export type DevIdpSignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHMS;

/**
 * Transforms for every enveloped signature: exclusive c14n, so a signed assertion still verifies once it is cut
 * out of the Response (or decrypted) and placed in another namespace context. samlify hard-codes exclusive c14n as
 * the SignedInfo canonicalization and derives the digest from the signature algorithm (rsa-sha256 -> sha256).
 */
export const SIGNATURE_TRANSFORMS = [
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
];

/** AES-256-GCM for the assertion (CBC modes invite padding-oracle attacks), RSA-OAEP to transport its key. */
export const ENCRYPTION_ALGORITHMS = {
  data: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  key: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
} as const;

/** samlify's IdP settings type (its package exports it only through the factory's signature). */
export type IdentityProviderSettings = NonNullable<Parameters<typeof samlify.IdentityProvider>[0]>;
/** samlify's SP settings type. */
export type ServiceProviderSettings = NonNullable<Parameters<typeof samlify.ServiceProvider>[0]>;

let configured = false;

/**
 * samlify with its global configuration applied (idempotent).
 *
 * samlify refuses to parse anything until a schema validator is registered. We register one that skips XSD
 * validation because (1) samlify only ever parses AuthnRequests here, and each has already passed our own safe
 * parser (size limit, no DTD, well-formed) before samlify sees it; (2) the responses we build come from our own
 * template; (3) the real validators need Java or a native xmllint, which `npm start` must not require. The SP side
 * of the project does not use samlify, so this global setting cannot weaken it.
 */
export function configuredSamlify(): typeof samlify {
  if (!configured) {
    samlify.setSchemaValidator({ validate: async () => 'skipped' });
    configured = true;
  }
  return samlify;
}
