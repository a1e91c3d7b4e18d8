/**
 * SP-initiated SSO, step one: the AuthnRequest.
 *
 * The request is deliberately minimal, because every optional element is a way to be rejected: Entra refuses
 * a <Subject> and NameIDPolicy formats outside its list, ADFS answers "Responder" to a NameIDPolicy or
 * AuthnContext it cannot satisfy. So: no Subject, NameIDPolicy only when the admin asked for a format, and
 * RequestedAuthnContext only when the connection policy turns it on (Entra ID refuses a context the user did
 * not use, AADSTS75011). ForceAuthn only for a step-up sign-in. Destination is always set (Keycloak rejects
 * signed requests without it).
 */
import { InvalidOptionError, SamlSpError } from '../errors.ts';
import { BINDING_URIS, type Connection, type SpIdentity } from '../types.ts';
import { NS } from '../xml/namespaces.ts';
import type { SigningAlgorithm } from '../xml/sign.ts';
import { escapeXml, newSamlId, samlInstant } from '../xml/write.ts';
import {
  type MessageSigning,
  postBindingForm,
  postBindingFormWith,
  redirectBindingUrl,
  redirectBindingUrlWith,
} from './bindings.ts';

/** The front-channel bindings an SP can send an AuthnRequest with. */
export type SsoBinding = 'redirect' | 'post';

/** Input of {@link buildAuthnRequest}. */
export interface AuthnRequestInput {
  sp: SpIdentity;
  connection: Connection;
  binding: SsoBinding;
  now: Date;
  /** The request ID. Default: a fresh random ID (see newSamlId). */
  id?: string;
  /** Ask the IdP to authenticate the user afresh even when it has a session (ForceAuthn="true"). */
  forceAuthn?: boolean;
  /**
   * An email address to send as `<saml:Subject><saml:NameID>` (a login hint for IdPs that read it, see
   * login-hint.ts). Omitted by default: some IdPs (Entra) refuse a request with a Subject.
   */
  subjectNameId?: string;
}

/** An unsigned AuthnRequest; the binding encoders sign it. */
export interface BuiltAuthnRequest {
  id: string;
  xml: string;
  /** The IdP SSO URL this request is addressed to (its Destination). */
  destination: string;
}

/**
 * Picks the IdP's SSO endpoint: HTTP-Redirect when offered (a plain link, nothing to render), else HTTP-POST.
 * Throws SAML_CONNECTION_INVALID when the connection has neither.
 *
 * @example
 * ```ts
 * const { binding, location } = chooseSsoBinding(connection); // { binding: 'redirect', location: 'https://idp/sso' }
 * ```
 */
export function chooseSsoBinding(connection: Connection): { binding: SsoBinding; location: string } {
  for (const binding of ['redirect', 'post'] as const) {
    const endpoint = connection.ssoEndpoints.find((e) => e.binding === binding);
    if (endpoint) return { binding, location: checkedLocation(connection, endpoint.location) };
  }
  throw new SamlSpError(
    'SAML_CONNECTION_INVALID',
    `Connection "${connection.id}" has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.`,
    {
      hint: 'Re-import the IdP metadata; it must list a SingleSignOnService with an HTTP-Redirect or HTTP-POST binding.',
      details: { connectionId: connection.id, bindings: connection.ssoEndpoints.map((e) => e.binding) },
      status: 500,
    },
  );
}

/**
 * Builds an AuthnRequest for the given binding: Version 2.0, IssueInstant, Destination (the IdP SSO URL of that
 * binding), AssertionConsumerServiceURL + ProtocolBinding HTTP-POST, Issuer (connection.spEntityId or the SP
 * entity ID), and a NameIDPolicy only when `connection.requestedNameIdFormat` is set.
 *
 * @example
 * ```ts
 * const request = buildAuthnRequest({ sp, connection, binding: 'redirect', now: new Date() });
 * await stores.requests.save({ requestId: request.id, ... });
 * ```
 */
export function buildAuthnRequest(input: AuthnRequestInput): BuiltAuthnRequest {
  const { sp, connection, binding, now } = input;
  if (Number.isNaN(now.getTime())) throw new InvalidOptionError('buildAuthnRequest: now is an invalid Date.');
  const id = input.id ?? newSamlId();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(id)) {
    throw new InvalidOptionError(
      `buildAuthnRequest: id "${id}" must be an NCName that does not start with a digit.`,
    );
  }
  const endpoint = connection.ssoEndpoints.find((e) => e.binding === binding);
  if (!endpoint) {
    throw new SamlSpError(
      'SAML_CONNECTION_INVALID',
      `Connection "${connection.id}" has no SingleSignOnService for the ${binding} binding.`,
      {
        hint: 'Use chooseSsoBinding() to pick a binding the IdP offers, or re-import the IdP metadata.',
        details: { connectionId: connection.id, binding },
        status: 500,
      },
    );
  }
  const destination = checkedLocation(connection, endpoint.location);
  const e = escapeXml;
  // Schema order: Issuer, (Signature, inserted by the POST encoder), Subject, NameIDPolicy.
  const subject = input.subjectNameId
    ? `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${e(input.subjectNameId)}</saml:NameID></saml:Subject>`
    : '';
  const nameIdPolicy = connection.requestedNameIdFormat
    ? `<samlp:NameIDPolicy Format="${e(connection.requestedNameIdFormat)}" AllowCreate="true"/>`
    : '';
  const wanted = connection.policy.requestedAuthnContext;
  // Schema order (core §3.4.1): Issuer, Signature, Subject, NameIDPolicy, Conditions, RequestedAuthnContext.
  const requestedAuthnContext = wanted
    ? `<samlp:RequestedAuthnContext Comparison="${e(wanted.comparison)}">` +
      wanted.classRefs
        .map((ref) => `<saml:AuthnContextClassRef>${e(ref)}</saml:AuthnContextClassRef>`)
        .join('') +
      '</samlp:RequestedAuthnContext>'
    : '';
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${id}" Version="2.0"` +
    ` IssueInstant="${samlInstant(now)}" Destination="${e(destination)}"` +
    (input.forceAuthn ? ' ForceAuthn="true"' : '') +
    ` AssertionConsumerServiceURL="${e(sp.acsUrl)}" ProtocolBinding="${BINDING_URIS.post}">` +
    `<saml:Issuer>${e(connection.spEntityId ?? sp.entityId)}</saml:Issuer>` +
    subject +
    nameIdPolicy +
    requestedAuthnContext +
    '</samlp:AuthnRequest>';
  return { id, xml, destination };
}

/** Input of the binding encoders: a built request, where it goes, and who signs it. */
export interface EncodeAuthnRequestInput {
  xml: string;
  destination: string;
  /** Returned unchanged by the IdP. Keep it short (bindings §3.4.3: at most 80 bytes) and never trust it. */
  relayState?: string;
  sp: SpIdentity;
  connection: Connection;
  /** Default 'rsa-sha256'. */
  algorithm?: SigningAlgorithm;
}

/**
 * Encodes an AuthnRequest for the HTTP-Redirect binding: the full URL to send the browser to, with
 * SigAlg/Signature query parameters when `connection.policy.signAuthnRequests` is on.
 *
 * @example
 * ```ts
 * res.redirect(encodeRedirectRequest({ xml, destination, relayState, sp, connection }));
 * ```
 */
export function encodeRedirectRequest(input: EncodeAuthnRequestInput): string {
  return redirectBindingUrl({
    location: input.destination,
    key: 'SAMLRequest',
    xml: input.xml,
    ...(input.relayState ? { relayState: input.relayState } : {}),
    ...signingFor(input),
  });
}

/**
 * Encodes an AuthnRequest for the HTTP-POST binding: the form action and fields. When signing is on, the XML
 * carries an enveloped signature after <saml:Issuer>; the value is plain base64 (not deflated).
 *
 * @example
 * ```ts
 * const form = encodePostRequest({ xml, destination, relayState, sp, connection });
 * res.type('html').send(renderAutoPostForm(form));
 * ```
 */
export function encodePostRequest(input: EncodeAuthnRequestInput): {
  action: string;
  fields: { SAMLRequest: string; RelayState?: string };
} {
  const { action, fields } = postBindingForm({
    location: input.destination,
    key: 'SAMLRequest',
    xml: input.xml,
    ...(input.relayState ? { relayState: input.relayState } : {}),
    ...signingFor(input),
  });
  return {
    action,
    fields: {
      SAMLRequest: fields.SAMLRequest!,
      ...(fields.RelayState ? { RelayState: fields.RelayState } : {}),
    },
  };
}

/**
 * Encodes an AuthnRequest for either binding, signing through the SP signing key's {@link Signer} when it
 * has one (a KMS, another process) or its PEM key: what the ServiceProvider uses.
 *
 * @example
 * ```ts
 * const out = await encodeAuthnRequest({ xml, destination, relayState, sp, connection }, 'redirect');
 * if (out.binding === 'redirect') res.redirect(out.url);
 * ```
 */
export async function encodeAuthnRequest(
  input: EncodeAuthnRequestInput,
  binding: 'redirect' | 'post',
): Promise<
  | { binding: 'redirect'; url: string }
  | { binding: 'post'; action: string; fields: { SAMLRequest: string; RelayState?: string } }
> {
  const message = {
    location: input.destination,
    key: 'SAMLRequest' as const,
    xml: input.xml,
    ...(input.relayState ? { relayState: input.relayState } : {}),
    ...signingFor(input),
  };
  if (binding === 'redirect') return { binding, url: await redirectBindingUrlWith(message) };
  const { action, fields } = await postBindingFormWith(message);
  return {
    binding,
    action,
    fields: {
      SAMLRequest: fields.SAMLRequest!,
      ...(fields.RelayState ? { RelayState: fields.RelayState } : {}),
    },
  };
}

function signingFor(input: EncodeAuthnRequestInput): { signing?: MessageSigning } {
  // Signing follows the connection policy only. Keycloak's descriptor says WantAuthnRequestsSigned="true"
  // whatever its client setting, so the metadata flag alone must not force it.
  if (!input.connection.policy.signAuthnRequests) return {};
  return {
    signing: { ...input.sp.signing, ...(input.algorithm ? { algorithm: input.algorithm } : {}) },
  };
}

function checkedLocation(connection: Connection, location: string): string {
  const url = URL.parse(location);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new SamlSpError('SAML_CONNECTION_INVALID', `The IdP SSO URL "${location}" is not an http(s) URL.`, {
      hint: 'Fix the SingleSignOnService Location in the IdP metadata and re-import it.',
      details: { connectionId: connection.id, location },
      status: 500,
    });
  }
  return location;
}
