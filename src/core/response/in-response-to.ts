/**
 * Step 16: bind the response to a request this browser started (SAML profiles §4.1.4.3). The caller passes the
 * request IDs it has outstanding for this browser and connection, peeked and not consumed: consuming happens
 * only after every check passed, so a forged response cannot burn a genuine request ID (node-saml #438).
 *
 * Only signed data binds (issue #9, item 1). The request ID is taken from the accepted bearer confirmation
 * (signed with the assertion), or from the Response when the Response signature verified. An unsigned
 * Response's InResponseTo is anyone's to write: an attacker who starts a sign-in in their own browser could
 * wrap a captured IdP-initiated assertion in an unsigned Response naming their own request ID. Such a
 * response is unsolicited, and the connection's allowIdpInitiated decides. Unsigned data may still refuse
 * (a Response and assertion that disagree), never accept.
 */
import { SamlSpError } from '../errors.ts';

/** Inputs of {@link checkInResponseTo}. */
export interface InResponseToInput {
  /** Response@InResponseTo, given only when the Response signature verified (it then binds). */
  response?: string;
  /**
   * Response@InResponseTo of an unsigned Response: it never binds the response to a request; a disagreement
   * with the signed confirmation still refuses it, and a refusal names it to explain itself.
   */
  unsignedResponse?: string;
  /** SubjectConfirmationData@InResponseTo of the accepted bearer confirmation (signed with the assertion). */
  confirmation?: string;
  expectedRequestIds: readonly string[];
  allowIdpInitiated: boolean;
  /**
   * The verified assertion's ID, copied into the error details: this check runs after every signature and
   * claim check, so a caller can look it up in its replay cache and report a re-posted response as
   * SAML_REPLAYED rather than as an unknown request (its request ID was consumed by the first use).
   */
  assertionId?: string;
}

/**
 * Returns the request ID the response answers, or undefined for an allowed unsolicited response.
 *
 * @example
 * ```ts
 * const requestId = checkInResponseTo({ response: 'id1', confirmation: 'id1', expectedRequestIds: ['id1'], allowIdpInitiated: false });
 * ```
 */
export function checkInResponseTo(input: InResponseToInput): string | undefined {
  const { response, confirmation, unsignedResponse } = input;
  const named = response ?? unsignedResponse;
  if (named !== undefined && confirmation !== undefined && named !== confirmation) {
    throw new SamlSpError(
      'SAML_IN_RESPONSE_TO_UNKNOWN',
      `The Response answers ${named} but its assertion answers ${confirmation}.`,
      {
        hint: 'The Response and its assertion name different requests: the assertion was taken from another response.',
        details: { response: named, confirmation, assertionId: input.assertionId },
      },
    );
  }
  const inResponseTo = confirmation ?? response;
  if (inResponseTo === undefined) {
    if (input.allowIdpInitiated) return undefined;
    if (unsignedResponse !== undefined) throw unsignedBinding(unsignedResponse, input.assertionId);
    throw new SamlSpError('SAML_UNSOLICITED', 'The response answers no request (IdP-initiated sign-in).', {
      hint: 'IdP-initiated sign-in (an Okta dashboard or My Apps tile, ADFS idpinitiatedsignon) is off for this connection. Start sign-in from the application, or enable allowIdpInitiated for this connection if IdP-initiated login is intended.',
      details: { allowIdpInitiated: false, assertionId: input.assertionId },
    });
  }
  if (!input.expectedRequestIds.includes(inResponseTo)) {
    throw new SamlSpError(
      'SAML_IN_RESPONSE_TO_UNKNOWN',
      `The response answers request ${inResponseTo}, which this browser has not started.`,
      {
        hint: 'The request is unknown, expired or already used. Usual causes: the sign-in took longer than the request lifetime, it was started in another browser, the IdP re-sent an old response, or several SP instances do not share a store (set REDIS_URL).',
        details: {
          inResponseTo,
          outstandingRequests: input.expectedRequestIds.length,
          assertionId: input.assertionId,
        },
      },
    );
  }
  return inResponseTo;
}

/**
 * The Response names a request, but only in unsigned bytes, and the signed assertion names none: as far as
 * anything signed says, the response is unsolicited.
 */
function unsignedBinding(unsignedResponse: string, assertionId: string | undefined): SamlSpError {
  return new SamlSpError(
    'SAML_UNSOLICITED',
    `The Response names request ${unsignedResponse}, but it is not signed and its signed assertion answers no request.`,
    {
      hint: 'Nothing signed binds this response to a sign-in started here, so it counts as IdP-initiated, which this connection refuses. A genuine IdP puts InResponseTo on the assertion\'s SubjectConfirmationData, or signs the Response: turn on Response signing at the IdP (Keycloak: "Sign documents"; Entra: "Sign SAML response and assertion"). Otherwise an assertion issued for another sign-in was wrapped in a new Response.',
      details: { unsignedInResponseTo: unsignedResponse, allowIdpInitiated: false, assertionId },
    },
  );
}
