/**
 * The strict readers of the two logout messages that reach the SP, in the order the checks run:
 *
 *   decode (binding) → parse → root, Version, ID → signature (required) → Issuer (or a logout alias)
 *   → Destination → time → NameID + SessionIndex (request) | Status + InResponseTo (response)
 *
 * A signature is always required. Over HTTP-Redirect it is verified over the raw query string as received
 * (node-saml 5.1 accepts an unsigned Redirect-binding logout message); over HTTP-POST and SOAP it is the
 * enveloped signature of the message root, verified by the same verifier as the ACS, and every later check
 * reads the signed bytes only. Replay protection (request ID) and consuming our own request ID (response)
 * are the caller's job, after this succeeds: the results carry what they need.
 */
import type { Element } from '@xmldom/xmldom';
import { type TrustedCertificate, trustedCertificate } from '../crypto/key-cache.ts';
import { InvalidOptionError, SamlSpError } from '../errors.ts';
import { findSignature, verifyEnvelopedSignature } from '../response/signature.ts';
import { requireVersionAndId } from '../response/structure.ts';
import type { Clock } from '../response/timing.ts';
import { type Connection, DEFAULT_POLICY, type NameId } from '../types.ts';
import { decodeAndInflate } from '../xml/encoding.ts';
import { DEFAULT_MAX_XML_BYTES, DEFAULT_MAX_XML_DEPTH, MAX_XML_DEPTH_LIMIT, parseXml } from '../xml/parse.ts';
import { verifyRedirectQuery } from '../xml/sign.ts';
import {
  checkLogoutDestination,
  checkLogoutIssuer,
  checkLogoutRequestTimes,
  checkLogoutResponseTimes,
  type LogoutStatusFacts,
  readLogoutStatus,
  readLogoutSubject,
} from './checks.ts';
import { type DecodedLogoutMessage, decodeLogoutMessage, type IncomingLogoutMessage } from './decode.ts';

/** How long after its IssueInstant a LogoutRequest is accepted, by default (plus the clock skew). */
export const DEFAULT_LOGOUT_MAX_AGE_SECONDS = 300;

/** What both validators need. */
export interface ValidateLogoutOptions {
  /** The IdP connection: idpEntityId, signingCertificates (the only keys trusted) and policy. */
  connection: Connection;
  /** This SP for the connection: the SLO URL is the expected Destination. */
  sp: { entityId: string; sloUrl: string };
  now: Date;
  /** Limit on the decoded XML, in bytes. Default {@link DEFAULT_MAX_XML_BYTES}. */
  maxBytes?: number;
  /** Deepest element nesting accepted, checked while parsing. Default DEFAULT_MAX_XML_DEPTH (100), at most 1000. */
  maxDepth?: number;
}

/** Which signature made a logout message trustworthy. */
export interface LogoutSignature {
  /** 'query' for the HTTP-Redirect binding, 'enveloped' for HTTP-POST and SOAP. */
  kind: 'query' | 'enveloped';
  certificateFingerprint: string;
  algorithm: string;
}

/** The facts of a LogoutRequest that passed every check. */
export interface ValidatedLogoutRequest {
  id: string;
  binding: IncomingLogoutMessage['binding'];
  issuer: string;
  nameId: NameId;
  /** Empty when the IdP sent none: then every session of the NameID ends. */
  sessionIndexes: string[];
  /** The Reason attribute (urn:oasis:names:tc:SAML:2.0:logout:user, …:admin), if any. */
  reason?: string;
  /** The Destination, when the IdP sent one (always, unless policy.allowSoapLogoutWithoutDestination). */
  destination?: string;
  issueInstant: Date;
  notOnOrAfter?: Date;
  /** Until when the replay cache must remember the request ID. */
  replayUntil: Date;
  /** Echo it in the LogoutResponse (signed over Redirect; never trusted for anything else). */
  relayState?: string;
  signature: LogoutSignature;
}

/** The facts of a LogoutResponse that passed every check. */
export interface ValidatedLogoutResponse extends LogoutStatusFacts {
  id: string;
  binding: IncomingLogoutMessage['binding'];
  issuer: string;
  /** The ID of our LogoutRequest it answers (one of `expectedRequestIds`). */
  inResponseTo: string;
  issueInstant: Date;
  relayState?: string;
  signature: LogoutSignature;
}

/**
 * Validates a LogoutRequest from the IdP (IdP-initiated logout, front- or back-channel).
 *
 * @example
 * ```ts
 * const request = validateLogoutRequest(
 *   { binding: 'redirect', rawQuery: req.originalUrl.split('?')[1] ?? '' },
 *   { connection, sp: { entityId, sloUrl }, now: new Date() },
 * );
 * if (!(await stores.replay.remember(`logout:${connection.id}:${request.id}`, request.replayUntil, now))) throw replayed();
 * ```
 */
export function validateLogoutRequest(
  message: IncomingLogoutMessage | DecodedLogoutMessage,
  options: ValidateLogoutOptions & {
    /** Default {@link DEFAULT_LOGOUT_MAX_AGE_SECONDS}. */
    maxAgeSeconds?: number;
  },
): ValidatedLogoutRequest {
  const { connection, sp, clock, maxBytes, maxDepth } = resolve(options);
  const maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_LOGOUT_MAX_AGE_SECONDS;
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds <= 0) {
    throw new InvalidOptionError(
      `validateLogoutRequest: maxAgeSeconds must be positive, got ${maxAgeSeconds}.`,
    );
  }
  const decoded = 'root' in message ? message : decodeLogoutMessage(message, { maxBytes, maxDepth });
  expectKind(decoded, 'LogoutRequest');
  const verified = verifyLogoutSignature(decoded, connection, { maxBytes, maxDepth });
  const root = verified.view;
  const id = requireVersionAndId(root, 'LogoutRequest');
  const issuer = checkLogoutIssuer(root, connection, 'LogoutRequest');
  const destination = checkLogoutDestination(root, sp.sloUrl, requestDestinationRule(decoded, connection));
  const times = checkLogoutRequestTimes(root, clock, maxAgeSeconds);
  const { nameId, sessionIndexes } = readLogoutSubject(root);
  const reason = root.getAttribute('Reason') || undefined;
  return {
    id,
    binding: decoded.binding,
    issuer,
    nameId,
    sessionIndexes,
    ...(reason ? { reason } : {}),
    ...(destination ? { destination } : {}),
    ...times,
    ...(verified.relayState !== undefined ? { relayState: verified.relayState } : {}),
    signature: verified.signature,
  };
}

/**
 * Validates a LogoutResponse from the IdP, answering one of our LogoutRequests. A non-success status is not
 * an error: it comes back as `outcome: 'failure'` (or 'partial'), because the local session ends either way
 * and the user must be told.
 *
 * @example
 * ```ts
 * const pending = await stores.requests.listForBrowser(browserKey, `logout:${connection.id}`, now);
 * const response = validateLogoutResponse(message, { connection, sp, now, expectedRequestIds: pending.map((p) => p.requestId) });
 * ```
 */
export function validateLogoutResponse(
  message: IncomingLogoutMessage | DecodedLogoutMessage,
  options: ValidateLogoutOptions & {
    /** Logout request IDs outstanding for this browser and connection: peeked, not consumed, by the caller. */
    expectedRequestIds: readonly string[];
  },
): ValidatedLogoutResponse {
  const { connection, sp, clock, maxBytes, maxDepth } = resolve(options);
  if (!Array.isArray(options.expectedRequestIds)) {
    throw new InvalidOptionError(
      'validateLogoutResponse: expectedRequestIds must be an array.',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const decoded = 'root' in message ? message : decodeLogoutMessage(message, { maxBytes, maxDepth });
  expectKind(decoded, 'LogoutResponse');
  const verified = verifyLogoutSignature(decoded, connection, { maxBytes, maxDepth });
  const root = verified.view;
  const id = requireVersionAndId(root, 'LogoutResponse');
  const issuer = checkLogoutIssuer(root, connection, 'LogoutResponse');
  // A SOAP LogoutResponse is the answer on the connection that carried our request, bound by InResponseTo:
  // SOAP may omit its Destination (bindings §3.2.3), and nothing signed for another SP can pass for it.
  checkLogoutDestination(root, sp.sloUrl, { required: decoded.binding !== 'soap', kind: 'LogoutResponse' });
  const issueInstant = checkLogoutResponseTimes(root, clock);
  const status = readLogoutStatus(root);
  const inResponseTo = root.getAttribute('InResponseTo') || undefined;
  if (inResponseTo === undefined || !options.expectedRequestIds.includes(inResponseTo)) {
    throw new SamlSpError(
      'SAML_IN_RESPONSE_TO_UNKNOWN',
      inResponseTo === undefined
        ? 'The LogoutResponse answers no request.'
        : `The LogoutResponse answers request ${inResponseTo}, which this browser has not sent.`,
      {
        hint: 'A LogoutResponse must answer a LogoutRequest this browser sent and that is still outstanding. Usual causes: the logout took longer than the request lifetime, it was answered already (back button), it was started in another browser, or several SP instances do not share a store (set REDIS_URL).',
        details: {
          inResponseTo: inResponseTo ?? null,
          outstandingRequests: options.expectedRequestIds.length,
        },
      },
    );
  }
  return {
    id,
    binding: decoded.binding,
    issuer,
    inResponseTo,
    issueInstant,
    ...status,
    ...(verified.relayState !== undefined ? { relayState: verified.relayState } : {}),
    signature: verified.signature,
  };
}

/** The message as the signature vouches for it. */
interface VerifiedLogoutMessage {
  /** The element to read from: the signed bytes for POST/SOAP, the parsed (signed-as-a-whole) XML for Redirect. */
  view: Element;
  relayState?: string;
  signature: LogoutSignature;
}

function verifyLogoutSignature(
  decoded: DecodedLogoutMessage,
  connection: Connection,
  { maxBytes, maxDepth }: { maxBytes: number; maxDepth: number },
): VerifiedLogoutMessage {
  const certificates = trusted(connection);
  const allowSha1 = connection.policy?.allowSha1 ?? DEFAULT_POLICY.allowSha1;
  if (decoded.binding === 'redirect') {
    // Throws SAML_SIGNATURE_MISSING (no Signature) and SAML_ALGORITHM_FORBIDDEN (SHA-1, unknown SigAlg).
    const result = verifyRedirectQuery(
      decoded.rawQuery ?? '',
      connection.signingCertificates.map((c) => c.pem),
      { allowSha1 },
    );
    if (!result.ok) {
      throw new SamlSpError(
        'SAML_SIGNATURE_INVALID',
        `The redirect-binding ${decoded.kind} signature does not verify.`,
        {
          hint: `No certificate this connection trusts (${certificates.map((c) => c.fingerprint).join(', ')}) verifies the query signature. Either the IdP signs logout messages with another key (it rolled its certificate over: refresh the connection's metadata), or the URL was altered.`,
          details: {
            algorithm: result.algorithm,
            trustedFingerprints: certificates.map((c) => c.fingerprint),
          },
        },
      );
    }
    // The parameter read by the decoder must be the one the signature covers; a different one would mean the
    // two parsers disagree about the query, and nothing read from it could be trusted.
    if (result.message.value !== decoded.redirectValue) {
      throw new SamlSpError(
        'SAML_SIGNATURE_INVALID',
        'The signed query parameter differs from the decoded one.',
        {
          hint: 'The query string is ambiguous; a genuine IdP never sends such a URL.',
        },
      );
    }
    const view = parseXml(decodeAndInflate(result.message.value, { maxBytes, what: decoded.kind }), {
      maxBytes,
      maxDepth,
      what: decoded.kind,
    }).documentElement!;
    return {
      view,
      ...(result.relayState ? { relayState: result.relayState } : {}),
      signature: { kind: 'query', certificateFingerprint: result.fingerprint!, algorithm: result.algorithm },
    };
  }
  const signature = findSignature(decoded.root);
  if (!signature) {
    throw new SamlSpError('SAML_SIGNATURE_MISSING', `The ${decoded.kind} is not signed.`, {
      hint:
        decoded.binding === 'soap'
          ? 'Back-channel logout messages must be signed: enable signing of documents/messages for this SP at the IdP (Keycloak: "Sign documents").'
          : 'Logout messages must be signed: enable signing of logout messages for this SP at the IdP (Keycloak: "Sign documents").',
    });
  }
  const verified = verifyEnvelopedSignature(signature, {
    element: decoded.root,
    what: decoded.kind,
    certificates,
    allowSha1,
  });
  return {
    view: verified.signed,
    ...(decoded.relayState !== undefined ? { relayState: decoded.relayState } : {}),
    signature: {
      kind: 'enveloped',
      certificateFingerprint: verified.certificateFingerprint,
      algorithm: verified.algorithm,
    },
  };
}

/**
 * A LogoutRequest's Destination is required on every binding (issue #9, item 7). The SAML bindings make it
 * optional over SOAP, which travels on a direct connection; but a signed request without it is valid at every
 * SP of the IdP, so one signed for another SP could be replayed here. Keycloak (its SOAP back-channel logout sets the
 * client's SOAP logout URL as Destination), SimpleSAMLphp and samlify always send it; a connection whose IdP
 * does not can opt out with policy.allowSoapLogoutWithoutDestination.
 */
function requestDestinationRule(
  decoded: DecodedLogoutMessage,
  connection: Connection,
): { required: boolean; kind: 'LogoutRequest'; binding: DecodedLogoutMessage['binding'] } {
  const optOut =
    connection.policy?.allowSoapLogoutWithoutDestination ?? DEFAULT_POLICY.allowSoapLogoutWithoutDestination;
  return { required: decoded.binding !== 'soap' || !optOut, kind: 'LogoutRequest', binding: decoded.binding };
}

function expectKind(decoded: DecodedLogoutMessage, kind: DecodedLogoutMessage['kind']): void {
  if (decoded.kind !== kind) {
    throw new InvalidOptionError(
      `Expected a ${kind}, got a ${decoded.kind}: dispatch on decodeLogoutMessage().kind first.`,
    );
  }
}

function trusted(connection: Connection): TrustedCertificate[] {
  if (!Array.isArray(connection.signingCertificates) || connection.signingCertificates.length === 0) {
    throw new SamlSpError(
      'SAML_CONNECTION_INVALID',
      `Connection ${connection.id} trusts no IdP signing certificate.`,
      {
        hint: 'Import the IdP metadata (or paste its signing certificate) so that the connection can verify logout messages.',
        status: 500,
      },
    );
  }
  return connection.signingCertificates.map((c) => trustedCertificate(c.pem));
}

function resolve(options: ValidateLogoutOptions): {
  connection: Connection;
  sp: ValidateLogoutOptions['sp'];
  clock: Clock;
  maxBytes: number;
  maxDepth: number;
} {
  if (!options || typeof options !== 'object') {
    throw new InvalidOptionError('validateLogout: options are required.', 'ERR_INVALID_ARG_TYPE');
  }
  const { connection, sp, now } = options;
  if (!connection || typeof connection.idpEntityId !== 'string' || connection.idpEntityId === '') {
    throw new InvalidOptionError(
      'validateLogout: options.connection must be a Connection with an idpEntityId.',
    );
  }
  if (!sp || typeof sp.sloUrl !== 'string' || sp.sloUrl === '') {
    throw new InvalidOptionError('validateLogout: options.sp.sloUrl must be a non-empty string.');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new InvalidOptionError('validateLogout: options.now must be a valid Date.', 'ERR_INVALID_ARG_TYPE');
  }
  const skew = connection.policy?.clockSkewSeconds ?? DEFAULT_POLICY.clockSkewSeconds;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0 || skew > 86_400) {
    throw new InvalidOptionError(
      `validateLogout: policy.clockSkewSeconds must be 0..86400 seconds, got ${skew}.`,
    );
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new InvalidOptionError(`validateLogout: maxBytes must be a positive integer, got ${maxBytes}.`);
  }
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_XML_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1 || maxDepth > MAX_XML_DEPTH_LIMIT) {
    throw new InvalidOptionError(
      `validateLogout: maxDepth must be an integer from 1 to ${MAX_XML_DEPTH_LIMIT}, got ${maxDepth}.`,
    );
  }
  return { connection, sp, clock: { now, skewSeconds: skew }, maxBytes, maxDepth };
}
