/**
 * The strict SAML Response validator: the ACS's one entry point, and the security heart of the toolkit.
 *
 * It reads as the checklist in {@link RESPONSE_CHECKS}, one small validator per step, in the order the SAML
 * specs run them. Two deliberate deviations from a naive reading of that order:
 * - A Response signature is verified before decryption, so that the ciphertext of a signed response is
 *   authenticated before the SP key touches it (decrypt.ts explains the padding-oracle reason).
 * - Everything the result holds is read from signed bytes: the assertion from its own signature's signed
 *   bytes, or from the signed Response's bytes when only the Response is signed (and the policy allows it).
 *   Response-level facts (ID, InResponseTo) come from the signed Response when it is signed.
 *
 * Replay protection and consuming the request ID are the caller's job, after this succeeds: the result
 * carries assertionId, notOnOrAfter and inResponseTo for that.
 */
import type { Element } from '@xmldom/xmldom';
import { type TrustedCertificate, trustedCertificate } from '../crypto/key-cache.ts';
import { InvalidOptionError, SamlSpError } from '../errors.ts';
import {
  type Connection,
  type ConnectionPolicy,
  DEFAULT_POLICY,
  type SignatureRequirement,
  type ValidatedAssertion,
} from '../types.ts';
import { NS } from '../xml/namespaces.ts';
import { DEFAULT_MAX_XML_BYTES, parseXml, singleChild } from '../xml/parse.ts';
import { readAttributes } from './attributes.ts';
import { checkAudience } from './audience.ts';
import { checkAuthnStatement } from './authn-statement.ts';
import { Checklist, type CheckTrace, RESPONSE_CHECKS } from './checklist.ts';
import { checkConditionsWindow } from './conditions.ts';
import { decodeResponse } from './decode.ts';
import { decryptAssertion } from './decrypt.ts';
import { checkDestination } from './destination.ts';
import { checkInResponseTo } from './in-response-to.ts';
import { checkIssuer } from './issuer.ts';
import { findSignature, verifyEnvelopedSignature } from './signature.ts';
import { checkSignaturePolicy } from './signature-policy.ts';
import { checkStatus } from './status.ts';
import { checkResponseStructure, requireVersionAndId } from './structure.ts';
import { checkSubject } from './subject.ts';
import type { Clock } from './timing.ts';

export { type CheckTrace, RESPONSE_CHECKS };

/** Inputs of {@link validateResponse}. */
export interface ValidateResponseOptions {
  /** The IdP connection: idpEntityId, signingCertificates (the only keys trusted) and policy. */
  connection: Connection;
  /** This SP for the connection. `decryptionKeyPem` is needed only if the IdP encrypts assertions. */
  sp: { entityId: string; acsUrl: string; decryptionKeyPem?: string };
  /** The server clock. */
  now: Date;
  /** Request IDs outstanding for this browser and connection: peeked, not consumed, by the caller. */
  expectedRequestIds: readonly string[];
  /** Limit on the decoded XML, in bytes. Default {@link DEFAULT_MAX_XML_BYTES}. */
  maxBytes?: number;
  /** When given, each check pushes its outcome here (`saml-sp inspect` prints them). */
  trace?: CheckTrace[];
}

/**
 * Validates a SAMLResponse from the HTTP-POST binding and returns the facts of its assertion. Throws a
 * {@link SamlSpError} with a stable code and an admin hint on the first failed check.
 *
 * @param samlResponse The base64 SAMLResponse form value, or raw XML starting with '<'.
 * @example
 * ```ts
 * const pending = await stores.requests.listForBrowser(browserKey, connection.id, now);
 * const assertion = await validateResponse(req.body.SAMLResponse, {
 *   connection, sp: { entityId, acsUrl, decryptionKeyPem }, now, expectedRequestIds: pending.map((p) => p.requestId),
 * });
 * if (!(await stores.replay.remember(`${connection.id}:${assertion.assertionId}`, assertion.notOnOrAfter, now))) throw replayed();
 * ```
 */
export async function validateResponse(
  samlResponse: string,
  options: ValidateResponseOptions,
): Promise<ValidatedAssertion> {
  const { connection, sp, policy, clock, maxBytes } = resolveOptions(options);
  const checks = new Checklist(options.trace);

  const xml = checks.run('size', () => decodeResponse(samlResponse, maxBytes));
  const doc = checks.run('parse', () => parseXml(xml, { maxBytes, what: 'SAML response' }));
  const structure = checks.run('structure', () => checkResponseStructure(doc));
  checks.run('status', () => checkStatus(structure.response));
  checks.run(
    'destination',
    () => checkDestination(structure.response, sp.acsUrl),
    (d) => (d ? undefined : 'no Destination on an unsigned Response (allowed)'),
  );
  checks.run(
    'response-issuer',
    () => checkIssuer(structure.response, connection.idpEntityId, { what: 'Response', required: false }),
    (issuer) => (issuer ? undefined : 'no Response Issuer (optional)'),
  );

  // Certificates are parsed only now, so a broken connection does not mask a malformed message.
  let certificates: TrustedCertificate[] | undefined;
  const trusted = (): TrustedCertificate[] => (certificates ??= trustedCertificates(connection));
  const signedResponse = checks.runOptional(
    'response-signature',
    () => {
      const signature = findSignature(structure.response);
      return signature
        ? verifyEnvelopedSignature(signature, {
            element: structure.response,
            what: 'Response',
            certificates: trusted(),
            allowSha1: policy.allowSha1,
          })
        : undefined;
    },
    'the Response is not signed',
    (v) => `verified with ${v.certificateFingerprint}`,
  );
  // From here on, Response-level facts come from the signed bytes when there are any.
  const responseView = signedResponse?.signed ?? structure.response;

  const located = checks.run(
    'decrypt',
    () => locateAssertion(responseView, structure.assertion, { policy, sp, maxBytes }),
    (l) => (l.wasEncrypted ? 'decrypted' : 'not encrypted'),
  );

  const signedAssertion = checks.runOptional(
    'assertion-signature',
    () => {
      const signature = findSignature(located.assertion);
      return signature
        ? verifyEnvelopedSignature(signature, {
            element: located.assertion,
            what: 'Assertion',
            certificates: trusted(),
            allowSha1: policy.allowSha1,
          })
        : undefined;
    },
    'the Assertion is not signed',
    (v) => `verified with ${v.certificateFingerprint}`,
  );

  const { assertion, assertionId } = checks.run('signature-policy', () => {
    checkSignaturePolicy(policy.wantSigned, { response: signedResponse, assertion: signedAssertion });
    // The assertion to read: its own signed bytes, else the signed Response's copy of it.
    const chosen =
      signedAssertion?.signed ?? (located.wasEncrypted ? located.assertion : assertionIn(responseView));
    return { assertion: chosen, assertionId: requireVersionAndId(chosen, 'Assertion') };
  });

  const issuer = checks.run('assertion-issuer', () =>
    checkIssuer(assertion, connection.idpEntityId, { what: 'Assertion', required: true }),
  )!;
  const subject = checks.run('subject', () => checkSubject(assertion, { acsUrl: sp.acsUrl, clock }));
  const window = checks.run('conditions', () => checkConditionsWindow(assertion, clock));
  checks.run('audience', () => checkAudience(assertion, sp.entityId));
  const authn = checks.run('authn-statement', () => checkAuthnStatement(assertion, clock));
  const inResponseTo = checks.run(
    'in-response-to',
    () =>
      checkInResponseTo({
        response: responseView.getAttribute('InResponseTo') || undefined,
        confirmation: subject.confirmationInResponseTo,
        expectedRequestIds: options.expectedRequestIds,
        allowIdpInitiated: policy.allowIdpInitiated,
      }),
    (id) => (id ? undefined : 'unsolicited response, allowed by policy'),
  );
  const attributes = checks.run('attributes', () => readAttributes(assertion));

  const coveringSignature = signedAssertion ?? signedResponse!;
  return {
    responseId: responseView.getAttribute('ID') ?? structure.responseId,
    assertionId,
    issuer,
    ...(inResponseTo ? { inResponseTo } : {}),
    nameId: subject.nameId,
    ...authn,
    attributes,
    notOnOrAfter: replayHorizon(window.notOnOrAfter, subject.confirmationNotOnOrAfter, clock),
    signature: {
      signedElements: [
        ...(signedResponse ? ['response' as const] : []),
        ...(signedAssertion ? ['assertion' as const] : []),
      ],
      certificateFingerprint: coveringSignature.certificateFingerprint,
      algorithm: coveringSignature.algorithm,
    },
    wasEncrypted: located.wasEncrypted,
  };
}

/** The assertion as found: the original element, or the root of the decrypted document. */
interface LocatedAssertion {
  assertion: Element;
  wasEncrypted: boolean;
}

function locateAssertion(
  responseView: Element,
  originalAssertion: Element | undefined,
  context: { policy: ConnectionPolicy; sp: ValidateResponseOptions['sp']; maxBytes: number },
): LocatedAssertion {
  const encrypted = singleChild(responseView, NS.assertion, 'EncryptedAssertion');
  if (encrypted) {
    const assertion = decryptAssertion(encrypted, {
      keyPem: context.sp.decryptionKeyPem,
      maxBytes: context.maxBytes,
    });
    return { assertion, wasEncrypted: true };
  }
  if (!originalAssertion) {
    throw new SamlSpError('SAML_ASSERTION_MISSING', 'The Response carries no assertion.', {
      hint: 'A successful SAML Response must carry one assertion; the IdP sent none.',
    });
  }
  if (context.policy.requireEncryptedAssertion) {
    throw new SamlSpError(
      'SAML_ASSERTION_MISSING',
      'The Response carries no encrypted assertion, and this connection requires one.',
      {
        hint: 'Turn on assertion encryption in the IdP with the SP encryption certificate from the SP metadata, or turn off requireEncryptedAssertion for this connection.',
        details: { requireEncryptedAssertion: true },
      },
    );
  }
  // The original element, not the signed Response's copy: its signature is verified in its own document,
  // where it keeps its full namespace context (an InclusiveNamespaces prefix may be declared on the root).
  return { assertion: originalAssertion, wasEncrypted: false };
}

function assertionIn(response: Element): Element {
  const assertion = singleChild(response, NS.assertion, 'Assertion');
  if (!assertion) {
    throw new SamlSpError('SAML_ASSERTION_MISSING', 'The signed Response carries no assertion.', {
      hint: 'A successful SAML Response must carry one assertion; the IdP sent none.',
    });
  }
  return assertion;
}

/**
 * How long the replay cache must remember the assertion: the earliest NotOnOrAfter that applies, plus the
 * skew, because the checks accept the assertion up to that instant.
 */
function replayHorizon(conditions: Date | undefined, confirmation: Date, clock: Clock): Date {
  const earliest = conditions && conditions < confirmation ? conditions : confirmation;
  return new Date(earliest.getTime() + clock.skewSeconds * 1000);
}

const REQUIREMENTS: readonly SignatureRequirement[] = [
  'assertion',
  'response-or-assertion',
  'response-and-assertion',
];

function resolveOptions(options: ValidateResponseOptions) {
  if (!options || typeof options !== 'object')
    throw new InvalidOptionError('validateResponse: options are required.', 'ERR_INVALID_ARG_TYPE');
  const { connection, sp, now } = options;
  if (!connection || typeof connection.idpEntityId !== 'string') {
    throw new InvalidOptionError(
      'validateResponse: options.connection must be a Connection.',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  if (!sp || typeof sp.entityId !== 'string' || !sp.entityId || typeof sp.acsUrl !== 'string' || !sp.acsUrl) {
    throw new InvalidOptionError('validateResponse: options.sp needs a non-empty entityId and acsUrl.');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new InvalidOptionError(
      'validateResponse: options.now must be a valid Date.',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  if (
    !Array.isArray(options.expectedRequestIds) ||
    !options.expectedRequestIds.every((id) => typeof id === 'string')
  ) {
    throw new InvalidOptionError(
      'validateResponse: options.expectedRequestIds must be an array of strings.',
      'ERR_INVALID_ARG_TYPE',
    );
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new InvalidOptionError(
      `validateResponse: options.maxBytes must be a positive integer, got ${maxBytes}.`,
    );
  }
  // Stored connections may predate a policy field: fill gaps from the defaults, then validate.
  const policy: ConnectionPolicy = { ...DEFAULT_POLICY, ...connection.policy };
  if (!REQUIREMENTS.includes(policy.wantSigned)) {
    throw new InvalidOptionError(
      `validateResponse: policy.wantSigned must be one of ${REQUIREMENTS.join(', ')}.`,
    );
  }
  const skew = policy.clockSkewSeconds;
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0 || skew > 86_400) {
    throw new InvalidOptionError(
      `validateResponse: policy.clockSkewSeconds must be 0..86400 seconds, got ${skew}.`,
    );
  }
  if (!connection.idpEntityId) {
    throw new SamlSpError('SAML_CONNECTION_INVALID', `Connection ${connection.id} has no IdP entity ID.`, {
      hint: 'Re-import the IdP metadata for this connection.',
      status: 500,
    });
  }
  return { connection, sp, policy, maxBytes, clock: { now, skewSeconds: skew } satisfies Clock };
}

function trustedCertificates(connection: Connection): TrustedCertificate[] {
  if (!Array.isArray(connection.signingCertificates) || connection.signingCertificates.length === 0) {
    throw new SamlSpError(
      'SAML_CONNECTION_INVALID',
      `Connection ${connection.id} trusts no IdP signing certificate.`,
      {
        hint: 'Import the IdP metadata (or paste its signing certificate) so that the connection has a certificate to verify with.',
        status: 500,
      },
    );
  }
  return connection.signingCertificates.map((c) => trustedCertificate(c.pem));
}
