/**
 * Who the dev IdP is (entityID, endpoints, signing certificate), in the settings shape samlify takes, and the IdP
 * metadata samlify renders from it.
 */
import type { KeyPair } from '../core/types.ts';
import { BINDING_URIS } from '../core/types.ts';
import { NAMEID_FORMATS } from '../core/xml/namespaces.ts';
import { configuredSamlify, type IdentityProviderSettings } from './samlify.ts';

/** The dev IdP's identity: where it is mounted and the key pair it signs with. */
export interface DevIdpIdentity {
  /** Absolute URL of the mount point, without a trailing slash. */
  baseUrl: string;
  entityId: string;
  signing: KeyPair;
}

/** The dev IdP's endpoint URLs, all below the mount point. */
export function idpEndpoints(baseUrl: string): { metadata: string; sso: string; slo: string; login: string } {
  return {
    metadata: `${baseUrl}/metadata`,
    sso: `${baseUrl}/sso`,
    slo: `${baseUrl}/slo`,
    login: `${baseUrl}/login`,
  };
}

/** samlify IdP settings carrying the identity; callers add keys and per-message switches. */
export function idpEntitySettings(identity: DevIdpIdentity): IdentityProviderSettings {
  const urls = idpEndpoints(identity.baseUrl);
  return {
    entityID: identity.entityId,
    signingCert: identity.signing.certificatePem,
    // Advertised so that SPs sign their requests; see request.ts for how unsigned ones are treated.
    wantAuthnRequestsSigned: true,
    // emailAddress is what the dev IdP issues; unspecified is listed because it means "the IdP chooses".
    nameIDFormat: [NAMEID_FORMATS.emailAddress, NAMEID_FORMATS.unspecified],
    singleSignOnService: [
      { Binding: BINDING_URIS.redirect, Location: urls.sso },
      { Binding: BINDING_URIS.post, Location: urls.sso },
    ],
    singleLogoutService: [
      { Binding: BINDING_URIS.redirect, Location: urls.slo },
      { Binding: BINDING_URIS.post, Location: urls.slo },
    ],
  };
}

/**
 * The IdP metadata XML: SSO and SLO over Redirect and POST, the signing certificate, the NameID formats, and
 * WantAuthnRequestsSigned="true".
 */
export function buildIdpMetadata(identity: DevIdpIdentity): string {
  return configuredSamlify().IdentityProvider(idpEntitySettings(identity)).getMetadata();
}
