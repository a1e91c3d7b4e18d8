/** Overridable IdP metadata for tests: which test keys it lists, its entity ID, cacheDuration and endpoints. */
import { certificateBase64 } from '../../src/core/keys.ts';
import { testKeyPair } from '../core/sp-fixtures.ts';

export interface IdpMetadataOptions {
  keys?: ('idp' | 'idp-next' | 'idp-rogue')[];
  entityId?: string;
  cacheDuration?: string;
  validUntil?: string;
  ssoUrl?: string;
  sloUrl?: string | null;
}

export function idpMetadataXml(options: IdpMetadataOptions = {}): string {
  const entityId = options.entityId ?? 'https://idp.acme.test/metadata';
  const sso = options.ssoUrl ?? 'https://idp.acme.test/sso';
  const keys = (options.keys ?? ['idp'])
    .map(
      (k) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBase64(testKeyPair(k).certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('');
  const slo =
    options.sloUrl === null
      ? ''
      : `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${options.sloUrl ?? 'https://idp.acme.test/slo'}"/>`;
  const attrs = [
    options.cacheDuration ? ` cacheDuration="${options.cacheDuration}"` : '',
    options.validUntil ? ` validUntil="${options.validUntil}"` : '',
  ].join('');
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}"${attrs}>` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">${keys}${slo}` +
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>' +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${sso}"/>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${sso}"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}
