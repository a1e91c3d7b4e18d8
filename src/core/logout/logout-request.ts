/**
 * SP-initiated Single Logout, step one: the LogoutRequest (SAML core §3.7.1, profiles §4.4.4.1).
 *
 * The request names the user exactly as the IdP named them at sign-in: the NameID value with its Format,
 * NameQualifier and SPNameQualifier, plus the SessionIndex from the AuthnStatement. Keycloak finds the session
 * by SessionIndex when its own cookie is gone, Okta and ADFS compare the NameID attributes, and a fabricated
 * SessionIndex broke Entra logout (metabase#41600), so nothing is added or changed. Like the AuthnRequest it is
 * otherwise minimal, with Destination always set (a signed message must carry one).
 */
import { InvalidOptionError, SamlSpError } from '../errors.ts';
import type { Connection, NameId, SpIdentity } from '../types.ts';
import { NS } from '../xml/namespaces.ts';
import { escapeXml, newSamlId, samlInstant } from '../xml/write.ts';

/** The front-channel bindings a logout message can travel over. */
export type SloBinding = 'redirect' | 'post';

/** The IdP's SingleLogoutService for one binding. */
export interface SloEndpoint {
  binding: SloBinding;
  /** Where requests go (Location). */
  location: string;
  /** Where responses go: ResponseLocation when the metadata has one, else Location. */
  responseLocation: string;
}

/**
 * The IdP's SLO endpoint: `prefer` when the IdP offers it (to answer over the binding a request came in on),
 * else HTTP-Redirect, else HTTP-POST. Undefined when the IdP has no front-channel SLO (Google, many Okta apps):
 * logout is then local only.
 *
 * @example
 * ```ts
 * const endpoint = chooseSloEndpoint(connection); // { binding: 'redirect', location: 'https://idp/slo', responseLocation: ... }
 * ```
 */
export function chooseSloEndpoint(connection: Connection, prefer?: SloBinding): SloEndpoint | undefined {
  const order: SloBinding[] = prefer === 'post' ? ['post', 'redirect'] : ['redirect', 'post'];
  for (const binding of order) {
    const endpoint = (connection.sloEndpoints ?? []).find((e) => e.binding === binding);
    if (!endpoint) continue;
    return {
      binding,
      location: checkedLocation(connection, endpoint.location),
      responseLocation: checkedLocation(connection, endpoint.responseLocation ?? endpoint.location),
    };
  }
  return undefined;
}

/** Input of {@link buildLogoutRequest}. */
export interface LogoutRequestInput {
  sp: SpIdentity;
  connection: Connection;
  /** The NameID exactly as the assertion carried it. */
  nameId: NameId;
  /** The AuthnStatement SessionIndex of the session being ended (one or several). */
  sessionIndex?: string | readonly string[];
  /** The IdP SLO URL (chooseSloEndpoint().location). */
  destination: string;
  now: Date;
  /** Sets NotOnOrAfter (optional in SAML; IdPs that receive one must honour it). */
  notOnOrAfter?: Date;
  /** The request ID. Default: a fresh random ID. */
  id?: string;
  /** The Issuer. Default: the connection's SP entity ID (the one the IdP saw at sign-in). */
  issuer?: string;
}

/** An unsigned LogoutRequest; the binding encoders sign it. */
export interface BuiltLogoutRequest {
  id: string;
  xml: string;
  destination: string;
}

/**
 * Builds a LogoutRequest: Version 2.0, IssueInstant, Destination, Issuer (the SP entity ID this connection
 * signs in with, so Entra sees the same Issuer on login and logout), the NameID with every attribute it came
 * with, and each SessionIndex.
 *
 * @example
 * ```ts
 * const request = buildLogoutRequest({ sp, connection, nameId: session.nameId, sessionIndex: session.sessionIndex,
 *   destination: endpoint.location, now: new Date() });
 * ```
 */
export function buildLogoutRequest(input: LogoutRequestInput): BuiltLogoutRequest {
  const { sp, connection, nameId, now } = input;
  if (Number.isNaN(now.getTime()))
    throw new InvalidOptionError('buildLogoutRequest: now is an invalid Date.');
  if (!nameId || typeof nameId.value !== 'string' || nameId.value === '') {
    throw new InvalidOptionError('buildLogoutRequest: nameId.value must be a non-empty string.');
  }
  const id = input.id ?? newSamlId();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(id)) {
    throw new InvalidOptionError(
      `buildLogoutRequest: id "${id}" must be an NCName that does not start with a digit.`,
    );
  }
  const destination = checkedLocation(connection, input.destination);
  const e = escapeXml;
  const indexes =
    input.sessionIndex === undefined
      ? []
      : typeof input.sessionIndex === 'string'
        ? [input.sessionIndex]
        : [...input.sessionIndex];
  const notOnOrAfter = input.notOnOrAfter ? ` NotOnOrAfter="${samlInstant(input.notOnOrAfter)}"` : '';
  const xml =
    `<samlp:LogoutRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${id}" Version="2.0"` +
    ` IssueInstant="${samlInstant(now)}" Destination="${e(destination)}"${notOnOrAfter}>` +
    `<saml:Issuer>${e(input.issuer ?? connection.spEntityId ?? sp.entityId)}</saml:Issuer>` +
    nameIdXml(nameId) +
    indexes.map((index) => `<samlp:SessionIndex>${e(index)}</samlp:SessionIndex>`).join('') +
    '</samlp:LogoutRequest>';
  return { id, xml, destination };
}

/** `<saml:NameID>` with the attributes the IdP set, in schema order. */
export function nameIdXml(nameId: NameId): string {
  const e = escapeXml;
  const attributes = [
    nameId.nameQualifier !== undefined ? ` NameQualifier="${e(nameId.nameQualifier)}"` : '',
    nameId.spNameQualifier !== undefined ? ` SPNameQualifier="${e(nameId.spNameQualifier)}"` : '',
    nameId.format !== undefined ? ` Format="${e(nameId.format)}"` : '',
  ].join('');
  return `<saml:NameID${attributes}>${e(nameId.value)}</saml:NameID>`;
}

function checkedLocation(connection: Connection, location: string): string {
  const url = URL.parse(location);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new SamlSpError('SAML_CONNECTION_INVALID', `The IdP SLO URL "${location}" is not an http(s) URL.`, {
      hint: 'Fix the SingleLogoutService Location in the IdP metadata and re-import it.',
      details: { connectionId: connection.id, location },
      status: 500,
    });
  }
  return location;
}
