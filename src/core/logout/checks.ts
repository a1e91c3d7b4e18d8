/**
 * The small checks a logout message goes through once its signature has verified, each on the signed view of
 * the message: Issuer (with the connection's logout aliases), Destination, time, the NameID and SessionIndex of
 * a LogoutRequest, and the Status of a LogoutResponse.
 */
import type { Element } from '@xmldom/xmldom';
import { SamlSpError } from '../errors.ts';
import { assertNotBefore, assertNotOnOrAfter, type Clock, parseSamlTime } from '../response/timing.ts';
import type { Connection, NameId } from '../types.ts';
import { nameIdFromElement } from '../xml/name-id.ts';
import { NS } from '../xml/namespaces.ts';
import { childElements, singleChild, textOf } from '../xml/parse.ts';
import { LOGOUT_STATUS, type LogoutOutcome } from './logout-response.ts';

type Kind = 'LogoutRequest' | 'LogoutResponse';

const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';

/**
 * The Issuer must be present (profiles §4.4.4) and be the IdP entity ID, or one of the connection's
 * `policy.logoutIssuerAliases`: Entra signs LogoutResponses as https://login.microsoftonline.com/{tenant}/
 * while its assertions say https://sts.windows.net/{tenant}/. Returns the Issuer.
 *
 * @example
 * ```ts
 * checkLogoutIssuer(root, connection, 'LogoutResponse'); // 'https://login.microsoftonline.com/tenant/'
 * ```
 */
export function checkLogoutIssuer(root: Element, connection: Connection, kind: Kind): string {
  const el = singleChild(root, NS.assertion, 'Issuer');
  const issuer = textOf(el);
  const aliases = connection.policy?.logoutIssuerAliases ?? [];
  const accepted = [connection.idpEntityId, ...aliases];
  if (!issuer) {
    throw new SamlSpError('SAML_ISSUER_MISMATCH', `The ${kind} has no Issuer.`, {
      hint: `A logout message must name its sender; this connection expects ${connection.idpEntityId}.`,
      details: { expected: accepted, received: null },
    });
  }
  const format = el?.getAttribute('Format');
  if (format && format !== ENTITY_FORMAT) {
    throw new SamlSpError('SAML_ISSUER_MISMATCH', `The ${kind} Issuer has Format ${format}, not entity.`, {
      hint: 'SAML requires the entity Format (or none) on the Issuer of a logout message.',
      details: { format },
    });
  }
  if (!accepted.includes(issuer)) {
    throw new SamlSpError(
      'SAML_ISSUER_MISMATCH',
      `The ${kind} Issuer is ${issuer}, not ${connection.idpEntityId}.`,
      {
        hint:
          `This connection accepts logout messages from ${accepted.join(' or ')}. ` +
          'Some IdPs sign logout messages under another name than their assertions (Entra ID: ' +
          'https://login.microsoftonline.com/<tenant>/ instead of https://sts.windows.net/<tenant>/): if this ' +
          'Issuer is genuinely the IdP of this connection, add it to the connection policy logoutIssuerAliases.',
        details: { expected: accepted, received: issuer },
      },
    );
  }
  return issuer;
}

/**
 * Destination must be this SLO URL. The front-channel bindings require it on signed messages (bindings
 * §3.4.5.2, §3.5.5.2); over SOAP the bindings let a message omit it, and the caller says whether this
 * connection does (validate-logout.ts, `destinationRule`).
 *
 * @example
 * ```ts
 * checkLogoutDestination(root, 'https://sp.example.com/saml/acme/slo', { required: true, kind: 'LogoutRequest' });
 * ```
 */
export function checkLogoutDestination(
  root: Element,
  sloUrl: string,
  options: { required: boolean; kind: Kind; binding?: 'redirect' | 'post' | 'soap' },
): string | undefined {
  const destination = root.getAttribute('Destination') || undefined;
  if (destination === undefined) {
    if (!options.required) return undefined;
    if (options.binding === 'soap') {
      throw new SamlSpError(
        'SAML_DESTINATION_MISMATCH',
        `The signed back-channel (SOAP) ${options.kind} has no Destination.`,
        {
          hint: `Without a Destination, a ${options.kind} the IdP signed for another of its applications could be replayed here, so this connection refuses it. Set the back-channel (SOAP) logout URL of this application in the IdP to ${sloUrl}; Keycloak, SimpleSAMLphp and samlify then send it as Destination. If this IdP never sends one, turn on policy.allowSoapLogoutWithoutDestination for this connection (the lint will flag it).`,
          details: { expected: sloUrl, received: null, binding: 'soap' },
        },
      );
    }
    throw new SamlSpError('SAML_DESTINATION_MISMATCH', `The signed ${options.kind} has no Destination.`, {
      hint: `SAML requires a Destination on signed front-channel messages. Set the Single Logout URL of this application in the IdP to ${sloUrl}.`,
      details: { expected: sloUrl, received: null },
    });
  }
  if (destination !== sloUrl) {
    throw new SamlSpError(
      'SAML_DESTINATION_MISMATCH',
      `The ${options.kind} Destination is ${destination}, not ${sloUrl}.`,
      {
        hint: `Set the Single Logout URL of this application in the IdP to exactly ${sloUrl}. If the SP runs behind a proxy, check BASE_URL.`,
        details: { expected: sloUrl, received: destination },
      },
    );
  }
  return destination;
}

/** The time facts of a LogoutRequest that passed the time checks. */
export interface LogoutRequestTimes {
  issueInstant: Date;
  notOnOrAfter?: Date;
  /** How long the replay cache must remember the request ID: the last instant it would still be accepted. */
  replayUntil: Date;
}

/**
 * A LogoutRequest is refused when it was issued in the future (beyond the skew), when its NotOnOrAfter has
 * passed (within the skew), or when it is older than `maxAgeSeconds`: without that last limit a request with no
 * NotOnOrAfter would stay valid forever, and the replay cache would have to remember it forever.
 *
 * @example
 * ```ts
 * const { replayUntil } = checkLogoutRequestTimes(root, { now, skewSeconds: 120 }, 300);
 * ```
 */
export function checkLogoutRequestTimes(
  root: Element,
  clock: Clock,
  maxAgeSeconds: number,
): LogoutRequestTimes {
  const issueInstant = requireIssueInstant(root, 'LogoutRequest');
  assertNotBefore(issueInstant, clock, 'LogoutRequest IssueInstant');
  const notOnOrAfter = parseSamlTime(root.getAttribute('NotOnOrAfter'), 'LogoutRequest NotOnOrAfter');
  assertNotOnOrAfter(notOnOrAfter, clock, 'LogoutRequest');
  const ageLimit = new Date(issueInstant.getTime() + maxAgeSeconds * 1000);
  const age = Math.floor((clock.now.getTime() - issueInstant.getTime()) / 1000);
  if (clock.now.getTime() - ageLimit.getTime() >= clock.skewSeconds * 1000) {
    throw new SamlSpError('SAML_RESPONSE_EXPIRED', `The LogoutRequest was issued ${age} s ago.`, {
      hint:
        `LogoutRequests are accepted for ${maxAgeSeconds} s after their IssueInstant (${issueInstant.toISOString()}), ` +
        `plus ${clock.skewSeconds} s of clock skew; this server's clock says ${clock.now.toISOString()}. ` +
        'A stale or replayed request, or a wrong clock on one side (check NTP).',
      details: {
        issueInstant: issueInstant.toISOString(),
        now: clock.now.toISOString(),
        ageSeconds: age,
        maxAgeSeconds,
      },
    });
  }
  const last = notOnOrAfter && notOnOrAfter < ageLimit ? notOnOrAfter : ageLimit;
  return {
    issueInstant,
    ...(notOnOrAfter ? { notOnOrAfter } : {}),
    replayUntil: new Date(last.getTime() + clock.skewSeconds * 1000),
  };
}

/** A LogoutResponse must have an IssueInstant that is not in the future (beyond the skew). */
export function checkLogoutResponseTimes(root: Element, clock: Clock): Date {
  const issueInstant = requireIssueInstant(root, 'LogoutResponse');
  assertNotBefore(issueInstant, clock, 'LogoutResponse IssueInstant');
  return issueInstant;
}

function requireIssueInstant(root: Element, kind: Kind): Date {
  const issueInstant = parseSamlTime(root.getAttribute('IssueInstant'), `${kind} IssueInstant`);
  if (!issueInstant) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', `The ${kind} has no IssueInstant.`, {
      hint: 'Every SAML 2.0 protocol message carries an IssueInstant; the message is malformed.',
    });
  }
  return issueInstant;
}

/**
 * The NameID of a LogoutRequest, with every attribute (so it can be compared with the one stored at sign-in),
 * and its SessionIndex values. An EncryptedID or BaseID is refused: the SP cannot match it to a session.
 *
 * @example
 * ```ts
 * const { nameId, sessionIndexes } = readLogoutSubject(root);
 * ```
 */
export function readLogoutSubject(root: Element): { nameId: NameId; sessionIndexes: string[] } {
  const el = singleChild(root, NS.assertion, 'NameID');
  if (!el) {
    const encrypted = singleChild(root, NS.assertion, 'EncryptedID');
    throw new SamlSpError(
      'SAML_STRUCTURE_INVALID',
      encrypted
        ? 'The LogoutRequest NameID is encrypted (EncryptedID), which is not supported.'
        : 'The LogoutRequest has no NameID.',
      {
        hint: encrypted
          ? 'Turn off NameID encryption for this application at the IdP; logout requests then carry a plain NameID.'
          : 'A LogoutRequest must name the user whose sessions end (a NameID, as issued at sign-in).',
      },
    );
  }
  const value = textOf(el);
  if (!value) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', 'The LogoutRequest NameID is empty.', {
      hint: 'The IdP must send the NameID it issued at sign-in.',
    });
  }
  const nameId = nameIdFromElement(el, value);
  const sessionIndexes = childElements(root, NS.protocol, 'SessionIndex')
    .map((s) => textOf(s) ?? '')
    .filter((s) => s !== '');
  return { nameId, sessionIndexes };
}

/** The Status of a LogoutResponse, as an outcome plus the IdP's own codes and message. */
export interface LogoutStatusFacts {
  outcome: LogoutOutcome;
  /** Top-level first, then nested StatusCode values. */
  statusCodes: string[];
  statusMessage?: string;
}

/**
 * Reads the Status: Success (with no PartialLogout below it) is success; PartialLogout at any level is
 * partial; anything else is failure. Unlike the ACS, a failure is not thrown: the caller ends the local
 * session anyway and tells the user.
 *
 * @example
 * ```ts
 * readLogoutStatus(root); // { outcome: 'partial', statusCodes: ['…:Success', '…:PartialLogout'] }
 * ```
 */
export function readLogoutStatus(root: Element): LogoutStatusFacts {
  const status = singleChild(root, NS.protocol, 'Status');
  const top = status && singleChild(status, NS.protocol, 'StatusCode');
  if (!status || !top) {
    throw new SamlSpError('SAML_STRUCTURE_INVALID', 'The LogoutResponse has no Status/StatusCode.', {
      hint: 'Every LogoutResponse must carry a status; the message is malformed.',
    });
  }
  const statusCodes: string[] = [];
  for (let code: Element | undefined = top; code; code = singleChild(code, NS.protocol, 'StatusCode')) {
    statusCodes.push(code.getAttribute('Value') ?? '');
  }
  const statusMessage = textOf(singleChild(status, NS.protocol, 'StatusMessage'))?.slice(0, 500);
  const outcome: LogoutOutcome = statusCodes.includes(LOGOUT_STATUS.partialLogout)
    ? 'partial'
    : statusCodes[0] === LOGOUT_STATUS.success
      ? 'success'
      : 'failure';
  return { outcome, statusCodes, ...(statusMessage ? { statusMessage } : {}) };
}
