/**
 * The LogoutResponse (SAML core §3.7.2) the SP sends when the IdP asked it to end a session, and the status
 * vocabulary both directions share.
 *
 * PartialLogout is a second-level status under a top-level Success, as SimpleSAMLphp and Shibboleth send it:
 * "logged out, but not everywhere". The reader (validate-logout.ts) accepts it at either level.
 */
import { InvalidOptionError } from '../errors.ts';
import { NS, STATUS_SUCCESS } from '../xml/namespaces.ts';
import { escapeXml, newSamlId, samlInstant } from '../xml/write.ts';

/** Status code URIs that logout uses. */
export const LOGOUT_STATUS = {
  success: STATUS_SUCCESS,
  partialLogout: 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  unknownPrincipal: 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal',
} as const;

/** How a logout ended, as one word. */
export type LogoutOutcome = 'success' | 'partial' | 'failure';

/** A Status element's content. */
export interface LogoutStatus {
  /** Top-level StatusCode Value. */
  code: string;
  /** Second-level StatusCode Value, if any. */
  subCode?: string;
  message?: string;
}

/**
 * The status for an outcome: success → Success; partial → Success / PartialLogout; failure → Responder.
 *
 * @example
 * ```ts
 * logoutStatusFor('partial'); // { code: '…:Success', subCode: '…:PartialLogout' }
 * ```
 */
export function logoutStatusFor(outcome: LogoutOutcome, message?: string): LogoutStatus {
  const status: LogoutStatus =
    outcome === 'success'
      ? { code: LOGOUT_STATUS.success }
      : outcome === 'partial'
        ? { code: LOGOUT_STATUS.success, subCode: LOGOUT_STATUS.partialLogout }
        : { code: LOGOUT_STATUS.responder };
  return message === undefined ? status : { ...status, message };
}

/** Input of {@link buildLogoutResponse}. */
export interface LogoutResponseInput {
  /** The SP entity ID for this connection. */
  issuer: string;
  /** The ID of the LogoutRequest being answered. */
  inResponseTo: string;
  /** The IdP SLO ResponseLocation; omitted for the SOAP binding, where the answer rides the same connection. */
  destination?: string;
  status: LogoutStatus;
  now: Date;
  /** Default: a fresh random ID. */
  id?: string;
}

/**
 * Builds an unsigned LogoutResponse; the binding encoders sign it.
 *
 * @example
 * ```ts
 * const { id, xml } = buildLogoutResponse({ issuer: sp.entityId, inResponseTo: request.id,
 *   destination: endpoint.responseLocation, status: logoutStatusFor('success'), now: new Date() });
 * ```
 */
export function buildLogoutResponse(input: LogoutResponseInput): { id: string; xml: string } {
  const { now, status } = input;
  if (Number.isNaN(now.getTime()))
    throw new InvalidOptionError('buildLogoutResponse: now is an invalid Date.');
  const id = input.id ?? newSamlId();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(id)) {
    throw new InvalidOptionError(
      `buildLogoutResponse: id "${id}" must be an NCName that does not start with a digit.`,
    );
  }
  const e = escapeXml;
  const destination = input.destination === undefined ? '' : ` Destination="${e(input.destination)}"`;
  const subCode = status.subCode === undefined ? '' : `<samlp:StatusCode Value="${e(status.subCode)}"/>`;
  const code = `<samlp:StatusCode Value="${e(status.code)}">${subCode}</samlp:StatusCode>`;
  const message =
    status.message === undefined ? '' : `<samlp:StatusMessage>${e(status.message)}</samlp:StatusMessage>`;
  const xml =
    `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${id}" Version="2.0"` +
    ` IssueInstant="${samlInstant(now)}"${destination} InResponseTo="${e(input.inResponseTo)}">` +
    `<saml:Issuer>${e(input.issuer)}</saml:Issuer>` +
    `<samlp:Status>${code}${message}</samlp:Status>` +
    '</samlp:LogoutResponse>';
  return { id, xml };
}
