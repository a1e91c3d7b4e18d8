/**
 * The logout messages the dev IdP sends to an SP, built and signed by samlify (createLogoutRequest and
 * createLogoutResponse), so that the SP's logout reader is tested against a second implementation:
 *
 * - LogoutRequest (IdP-initiated logout) over HTTP-Redirect, HTTP-POST, or SOAP (samlify has no SOAP binding:
 *   the POST-binding message, signed enveloped, is put in a SOAP 1.1 envelope).
 * - LogoutResponse (the answer to an SP-initiated LogoutRequest) over HTTP-Redirect or HTTP-POST.
 *
 * Our own template carries several SessionIndex elements (one per IdP session of the user) and the optional
 * NotOnOrAfter. `samlifyTemplate: true` sends samlify's built-in template instead, exactly as a samlify IdP
 * does by default. Overrides exist so tests can forge the requests an SP must refuse.
 */
import type { ServiceProviderInstance } from 'samlify';
import type { KeyPair } from '../core/types.ts';
import { BINDING_URIS } from '../core/types.ts';
import { NAMEID_FORMATS, NS, STATUS_SUCCESS } from '../core/xml/namespaces.ts';
import { idpEntitySettings } from './metadata.ts';
import { newSamlId, type ResponseIssuer } from './response.ts';
import { configuredSamlify, SIGNATURE_ALGORITHMS } from './samlify.ts';
import type { KnownServiceProvider } from './service-providers.ts';
import { escapeXml } from './template.ts';

/** The bindings the dev IdP sends logout messages over. */
export type DevIdpLogoutBinding = 'redirect' | 'post' | 'soap';

/** A logout message for the browser to carry (front channel), or for the IdP to POST itself (SOAP). */
export type DevIdpLogoutMessage =
  | { binding: 'redirect'; url: string }
  | { binding: 'post'; action: string; fields: Record<string, string> }
  | { binding: 'soap'; url: string; body: string };

/** Ways to bend one LogoutRequest, for tests. Each changes only what its name says. */
export interface LogoutRequestOverrides {
  id?: string;
  /** Destination in the XML (the message still goes to the SP's SLO URL); null leaves it out. */
  destination?: string | null;
  issuer?: string;
  /** The IdP's clock: IssueInstant. */
  issueInstant?: Date;
  notOnOrAfter?: Date;
  /** Sign with this key instead of the IdP's; its certificate goes into KeyInfo (an untrusted signer). */
  signingKey?: KeyPair;
  /** Send the request unsigned. */
  unsigned?: boolean;
  /** samlify's own template: one SessionIndex, IssueInstant with milliseconds, no NotOnOrAfter. */
  samlifyTemplate?: boolean;
}

/** One LogoutRequest to build. */
export interface IdpLogoutRequestInput {
  sp: KnownServiceProvider;
  nameId: string;
  /** Empty: no SessionIndex element (the SP then ends every session of the NameID). */
  sessionIndexes: readonly string[];
  binding: DevIdpLogoutBinding;
  relayState?: string;
  overrides?: LogoutRequestOverrides;
}

/** The SP's SingleLogoutService for a binding, from its metadata (SOAP falls back to the POST location). */
export function spSloUrl(sp: KnownServiceProvider, binding: DevIdpLogoutBinding): string | undefined {
  const all = (sp.entity.entityMeta.getSingleLogoutService as (binding?: string) => unknown).call(
    sp.entity.entityMeta,
  );
  const list = (Array.isArray(all) ? all : all ? [all] : []) as { binding?: string; location?: string }[];
  const find = (uri: string) =>
    list.find((e) => e.binding === uri && typeof e.location === 'string')?.location;
  if (binding === 'soap') return find(BINDING_URIS.soap) ?? find(BINDING_URIS.post);
  return find(BINDING_URIS[binding]);
}

/**
 * Builds a LogoutRequest to `sp`, signed by samlify (unless `overrides.unsigned`). Throws when the SP's metadata
 * has no SLO endpoint for the binding.
 */
export function buildIdpLogoutRequest(
  issuer: ResponseIssuer,
  input: IdpLogoutRequestInput,
): { requestId: string; message: DevIdpLogoutMessage } {
  const o = input.overrides ?? {};
  const url = spSloUrl(input.sp, input.binding);
  if (!url)
    throw new Error(
      `dev IdP: ${input.sp.entityId} has no SingleLogoutService for the ${input.binding} binding`,
    );
  const signing = o.signingKey ?? issuer.identity.signing;
  const idp = logoutIdp(issuer, signing);
  const samlifyBinding = input.binding === 'redirect' ? 'redirect' : 'post';
  const target = targetSp(input.sp, samlifyBinding, url, !o.unsigned);
  const id = o.id ?? newSamlId();
  const xml = logoutRequestXml({
    id,
    issueInstant: (o.issueInstant ?? new Date()).toISOString(),
    destination: o.destination === null ? undefined : (o.destination ?? url),
    issuer: o.issuer ?? issuer.identity.entityId,
    nameId: input.nameId,
    sessionIndexes: input.sessionIndexes,
    ...(o.notOnOrAfter ? { notOnOrAfter: o.notOnOrAfter.toISOString() } : {}),
  });
  const user = {
    logoutNameID: input.nameId,
    ...(input.sessionIndexes[0] ? { sessionIndex: input.sessionIndexes[0] } : {}),
  };
  const options = {
    ...(input.relayState ? { relayState: input.relayState } : {}),
    ...(o.samlifyTemplate ? {} : { customTagReplacement: () => ({ id, context: xml }) }),
  };
  const built = idp.createLogoutRequest(target, samlifyBinding, user, options);
  return {
    requestId: built.id,
    message: toMessage(input.binding, 'SAMLRequest', url, built, input.relayState),
  };
}

/** One LogoutResponse to build, answering an SP's LogoutRequest. */
export interface IdpLogoutResponseInput {
  sp: KnownServiceProvider;
  inResponseTo: string;
  binding: 'redirect' | 'post';
  relayState?: string;
  /** Default Success. */
  statusCode?: string;
  /** A second-level StatusCode, e.g. PartialLogout under Success when not every other SP confirmed. */
  statusSubCode?: string;
}

/** Builds a signed LogoutResponse to `sp` with samlify. */
export function buildIdpLogoutResponse(
  issuer: ResponseIssuer,
  input: IdpLogoutResponseInput,
): DevIdpLogoutMessage {
  const url = spSloUrl(input.sp, input.binding);
  if (!url)
    throw new Error(
      `dev IdP: ${input.sp.entityId} has no SingleLogoutService for the ${input.binding} binding`,
    );
  const idp = logoutIdp(issuer, issuer.identity.signing);
  const target = targetSp(input.sp, input.binding, url, true);
  const id = newSamlId();
  const e = escapeXml;
  const xml =
    `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${id}" Version="2.0"` +
    ` IssueInstant="${new Date().toISOString()}" Destination="${e(url)}" InResponseTo="${e(input.inResponseTo)}">` +
    `<saml:Issuer>${e(issuer.identity.entityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${e(input.statusCode ?? STATUS_SUCCESS)}">` +
    (input.statusSubCode ? `<samlp:StatusCode Value="${e(input.statusSubCode)}"/>` : '') +
    '</samlp:StatusCode></samlp:Status>' +
    '</samlp:LogoutResponse>';
  const built = idp.createLogoutResponse(target, { extract: {} }, input.binding, {
    ...(input.relayState ? { relayState: input.relayState } : {}),
    customTagReplacement: () => ({ id, context: xml }),
  });
  return toMessage(input.binding, 'SAMLResponse', url, built, input.relayState);
}

/** samlify's IdP entity, with the key that signs and the algorithm it signs with. */
function logoutIdp(issuer: ResponseIssuer, signing: KeyPair) {
  return configuredSamlify().IdentityProvider({
    ...idpEntitySettings({ ...issuer.identity, signing }),
    privateKey: signing.privateKeyPem,
    // samlify's default transforms for logout messages are enveloped-signature + exclusive c14n.
    requestSignatureAlgorithm: SIGNATURE_ALGORITHMS[issuer.signatureAlgorithm],
  });
}

/**
 * A per-message SP entity: samlify signs a logout message when the *target* says it wants them signed, and
 * takes the URL from the target's SLO service, so both are set here rather than read from the SP's XML.
 */
function targetSp(
  sp: KnownServiceProvider,
  binding: 'redirect' | 'post',
  url: string,
  signed: boolean,
): ServiceProviderInstance {
  return configuredSamlify().ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: sp.acsUrls.map((location) => ({
      Binding: BINDING_URIS.post,
      Location: location,
    })),
    singleLogoutService: [{ Binding: BINDING_URIS[binding], Location: url }],
    wantLogoutRequestSigned: signed,
    wantLogoutResponseSigned: signed,
  });
}

function toMessage(
  binding: DevIdpLogoutBinding,
  key: 'SAMLRequest' | 'SAMLResponse',
  url: string,
  built: { id: string; context: string },
  relayState: string | undefined,
): DevIdpLogoutMessage {
  if (binding === 'redirect') return { binding, url: built.context };
  if (binding === 'post') {
    return {
      binding,
      action: url,
      fields: { [key]: built.context, ...(relayState ? { RelayState: relayState } : {}) },
    };
  }
  const xml = Buffer.from(built.context, 'base64').toString('utf8');
  return {
    binding,
    url,
    body: `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>${xml}</soap:Body></soap:Envelope>`,
  };
}

function logoutRequestXml(v: {
  id: string;
  issueInstant: string;
  destination: string | undefined;
  issuer: string;
  nameId: string;
  sessionIndexes: readonly string[];
  notOnOrAfter?: string;
}): string {
  const e = escapeXml;
  return (
    `<samlp:LogoutRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${e(v.id)}" Version="2.0"` +
    ` IssueInstant="${e(v.issueInstant)}"` +
    (v.destination === undefined ? '' : ` Destination="${e(v.destination)}"`) +
    (v.notOnOrAfter ? ` NotOnOrAfter="${e(v.notOnOrAfter)}"` : '') +
    ` Reason="urn:oasis:names:tc:SAML:2.0:logout:user">` +
    `<saml:Issuer>${e(v.issuer)}</saml:Issuer>` +
    `<saml:NameID Format="${NAMEID_FORMATS.emailAddress}">${e(v.nameId)}</saml:NameID>` +
    v.sessionIndexes.map((s) => `<samlp:SessionIndex>${e(s)}</samlp:SessionIndex>`).join('') +
    '</samlp:LogoutRequest>'
  );
}
