/**
 * The strict SAML Response validator: the ACS's one entry point, and the security heart of the toolkit.
 *
 * It reads as the checklist in {@link RESPONSE_CHECKS}, one small validator per step, in the order the SAML
 * specs run them. Two deliberate deviations from a naive reading of that order:
 * - A Response signature is verified before decryption, so that the ciphertext of a signed response is
 *   authenticated before the SP key touches it (decrypt.ts explains the padding-oracle reason).
 * - Everything the result holds is read from signed bytes: the assertion from its own signature's signed
 *   bytes, or from the signed Response's bytes when only the Response is signed (and the policy allows it).
 *   The message is parsed once: each verified element is reduced in place to what its signed bytes hold
 *   (`reduceInPlace`, crypto/signed-view.ts) rather than parsed again from them.
 *   Response-level facts (ID, InResponseTo) come from the signed Response when it is signed; an unsigned
 *   Response's InResponseTo never binds the response to a request (in-response-to.ts).
 *
 * Replay protection and consuming the request ID are the caller's job, after this succeeds: the result
 * carries assertionId, notOnOrAfter and inResponseTo for that.
 */
import { checkAuthnRequirements } from '../assurance/authn-context.ts';
import type { Connection, SpIdentity, ValidatedAssertion } from '../types.ts';
import { parseXml } from '../xml/parse.ts';
import { readAttributes } from './attributes.ts';
import { checkAudience } from './audience.ts';
import { checkAuthnStatement } from './authn-statement.ts';
import { Checklist, type CheckTrace, RESPONSE_CHECKS } from './checklist.ts';
import { checkConditionsWindow } from './conditions.ts';
import { decodeResponse } from './decode.ts';
import { checkDestination } from './destination.ts';
import { checkInResponseTo } from './in-response-to.ts';
import { checkIssuer } from './issuer.ts';
import { assertionIn, locateAssertion } from './locate-assertion.ts';
import { resolveOptions, trustedCertificates } from './options.ts';
import { verifyIfSigned } from './signature.ts';
import { checkSignaturePolicy } from './signature-policy.ts';
import { checkStatus } from './status.ts';
import { checkResponseStructure, requireVersionAndId } from './structure.ts';
import { checkSubject } from './subject.ts';
import type { Clock } from './timing.ts';

export { type CheckTrace, RESPONSE_CHECKS };

/** What one AuthnRequest asked of the authentication (see `ValidateResponseOptions.requestRequirements`). */
export interface RequestAuthnRequirements {
  maxAgeSeconds?: number;
  forceAuthnSince?: Date;
}

/** Inputs of {@link validateResponse}. */
export interface ValidateResponseOptions {
  /** The IdP connection: idpEntityId, signingCertificates (the only keys trusted) and policy. */
  connection: Connection;
  /** This SP for the connection. `decryptionKeyPem` is needed only if the IdP encrypts assertions. */
  sp: {
    entityId: string;
    acsUrl: string;
    decryptionKeyPem?: string | undefined;
    /** A key ring's decryption keys (each tried, the one the EncryptedKey names first) and its retired ones. */
    decryption?: SpIdentity['decryption'];
  };
  /** The server clock. */
  now: Date;
  /** Request IDs outstanding for this browser and connection: peeked, not consumed, by the caller. */
  expectedRequestIds: readonly string[];
  /** Limit on the decoded XML, in bytes. Default DEFAULT_MAX_XML_BYTES (256 KiB). */
  maxBytes?: number;
  /** Deepest element nesting accepted, checked while parsing. Default DEFAULT_MAX_XML_DEPTH (100), at most 1000. */
  maxDepth?: number;
  /**
   * What each outstanding request demanded of the authentication, by request ID (step-up): the response that
   * answers it must meet it. `forceAuthnSince` is when a ForceAuthn request was made.
   */
  requestRequirements?: ReadonlyMap<string, RequestAuthnRequirements>;
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
  const { connection, sp, policy, clock, maxBytes, maxDepth } = resolveOptions(options);
  const checks = new Checklist(options.trace);

  const xml = checks.run('size', () => decodeResponse(samlResponse, maxBytes));
  // decodeResponse ran assertSafeXmlText on this text ("size"): parseXml need not run it again.
  const doc = checks.run('parse', () =>
    parseXml(xml, { maxBytes, maxDepth, what: 'SAML response', alreadyChecked: true }),
  );
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

  // Certificates are parsed at the first signature, so a broken connection does not mask a malformed message.
  const certificates = once(() => trustedCertificates(connection));
  const signedResponse = checks.runOptional(
    'response-signature',
    () =>
      verifyIfSigned({
        element: structure.response,
        what: 'Response',
        certificates,
        allowSha1: policy.allowSha1,
        reduceInPlace: true,
      }),
    'the Response is not signed',
    (v) => `verified with ${v.certificateFingerprint}`,
  );
  // From here on, Response-level facts come from the signed bytes when there are any.
  const responseView = signedResponse?.signed ?? structure.response;

  const located = await checks.runAsync(
    'decrypt',
    () =>
      locateAssertion(responseView, structure.assertion, {
        policy,
        decryptionKeyPem: sp.decryptionKeyPem,
        ...(sp.decryption ? { decryption: sp.decryption } : {}),
        maxBytes,
        maxDepth,
        responseSigned: signedResponse !== undefined,
      }),
    (l) => (l.wasEncrypted ? 'decrypted' : 'not encrypted'),
  );
  const signedAssertion = checks.runOptional(
    'assertion-signature',
    () =>
      verifyIfSigned({
        element: located.assertion,
        what: 'Assertion',
        certificates,
        allowSha1: policy.allowSha1,
        reduceInPlace: true,
      }),
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
        // Only a verified Response signature makes its InResponseTo evidence (in-response-to.ts says why).
        ...(signedResponse
          ? { response: responseView.getAttribute('InResponseTo') || undefined }
          : { unsignedResponse: structure.response.getAttribute('InResponseTo') || undefined }),
        confirmation: subject.confirmationInResponseTo,
        expectedRequestIds: options.expectedRequestIds,
        allowIdpInitiated: policy.allowIdpInitiated,
        assertionId,
      }),
    (id) => (id ? undefined : 'unsolicited response, allowed by policy'),
  );
  const attributes = checks.run('attributes', () => readAttributes(assertion));
  const requested = inResponseTo ? options.requestRequirements?.get(inResponseTo) : undefined;
  checks.run(
    'authn-context',
    () =>
      checkAuthnRequirements(
        { ...authn, attributes },
        {
          acceptedContexts: policy.acceptedAuthnContexts ?? [],
          preset: connection.preset,
          maxAgeSeconds: requested?.maxAgeSeconds,
          forceAuthnSince: requested?.forceAuthnSince,
          now: clock.now,
          skewSeconds: clock.skewSeconds,
        },
      ),
    (note) => note,
  );

  const coveringSignature = signedAssertion ?? signedResponse!;
  return {
    responseId: responseView.getAttribute('ID') ?? structure.responseId,
    assertionId,
    issuer,
    ...(inResponseTo ? { inResponseTo } : {}),
    nameId: subject.nameId,
    ...authn,
    attributes,
    notOnOrAfter: replayHorizon(window.notOnOrAfter, subject.latestConfirmationNotOnOrAfter, clock),
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

function once<T>(fn: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: fn() };
    return value.v;
  };
}

/**
 * How long the replay cache must remember the assertion: the latest instant any of its checks would still
 * accept it. That is the latest bearer confirmation that could pass (not the one accepted now: when it
 * expires, a later one still accepts the same assertion), capped by Conditions NotOnOrAfter, plus the skew
 * every NotOnOrAfter check allows.
 */
function replayHorizon(conditions: Date | undefined, latestConfirmation: Date, clock: Clock): Date {
  const last = conditions && conditions < latestConfirmation ? conditions : latestConfirmation;
  return new Date(last.getTime() + clock.skewSeconds * 1000);
}
