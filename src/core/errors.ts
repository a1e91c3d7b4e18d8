/**
 * One error type for every rejected SAML message or metadata document.
 *
 * Each rejection carries a stable `code` (part of the public contract: integrators switch on it, tests assert
 * it), a `message` that says what was wrong, and a `hint` that tells an administrator what to change, usually
 * on the IdP side. `details` holds structured facts (expected/received values, fingerprints, clock deltas) for
 * the log and the admin page; it never goes to an anonymous browser.
 */

/** The stable error codes. Adding one is fine; renaming or removing one is a breaking change. */
export const SAML_ERROR_CODES = {
  // The transport and the XML itself.
  SAML_MESSAGE_MISSING: 'No SAMLResponse/SAMLRequest parameter was sent.',
  SAML_MESSAGE_TOO_LARGE: 'The message is larger than the configured limit.',
  SAML_MALFORMED: 'The message is not valid base64 or not well-formed XML.',
  SAML_DTD_FORBIDDEN: 'The XML carries a DOCTYPE or entity declaration, which SAML never needs.',
  SAML_XML_TOO_DEEP: 'The XML nests elements deeper than the configured limit.',
  SAML_PROCESSING_INSTRUCTION_FORBIDDEN:
    'The XML carries a processing instruction, which SAML messages never need.',
  SAML_STRUCTURE_INVALID: 'The document does not have the shape of the expected SAML message.',
  SAML_STATUS_NOT_SUCCESS: 'The IdP answered with a non-success status.',
  // Signatures and algorithms.
  SAML_SIGNATURE_MISSING: 'The element that must be signed carries no signature.',
  SAML_SIGNATURE_INVALID: 'The signature or a digest does not verify.',
  SAML_SIGNATURE_UNTRUSTED: 'The message is signed by a key that the connection does not trust.',
  SAML_ALGORITHM_FORBIDDEN:
    'The message uses an algorithm the connection does not allow (SHA-1, rsa-1_5, ...).',
  SAML_DECRYPTION_FAILED: 'The encrypted assertion could not be decrypted with the SP key.',
  SAML_DECRYPTION_KEY_RETIRED:
    'The assertion is encrypted for an SP encryption key that was retired; the IdP needs the current certificate.',
  SAML_KEY_UNAVAILABLE:
    'The service that holds an SP private key (a KMS, a signer process) did not answer; retry later.',
  // The assertion's claims.
  SAML_ASSERTION_MISSING: 'The response carries no assertion.',
  SAML_ISSUER_MISMATCH: 'The Issuer is not the IdP entity ID of this connection.',
  SAML_AUDIENCE_MISMATCH: 'The assertion is not addressed to this SP entity ID.',
  SAML_RECIPIENT_MISMATCH: 'SubjectConfirmationData Recipient is not this ACS URL.',
  SAML_DESTINATION_MISMATCH: 'The Destination attribute is not this endpoint URL.',
  SAML_SUBJECT_INVALID: 'The subject has no NameID or no usable bearer confirmation.',
  SAML_RESPONSE_EXPIRED: 'A NotOnOrAfter limit has passed.',
  SAML_RESPONSE_NOT_YET_VALID: 'A NotBefore limit lies in the future.',
  // Request/response binding and replay.
  SAML_IN_RESPONSE_TO_UNKNOWN: 'InResponseTo names no outstanding request of this browser.',
  SAML_UNSOLICITED: 'An IdP-initiated (unsolicited) response arrived and the connection does not allow them.',
  SAML_REPLAYED: 'This assertion or message was already used.',
  // Assurance: how and when the user authenticated at the IdP (step-up, MFA).
  SAML_AUTHN_CONTEXT_NOT_ACCEPTED:
    'The IdP authenticated the user with a method the connection does not accept (for example no MFA).',
  SAML_AUTHN_TOO_OLD: 'The user authenticated at the IdP longer ago than the sign-in allowed (maxAge).',
  SAML_LOGIN_OPTION_INVALID: 'A sign-in option (forceAuthn, maxAge) has a value that is not allowed.',
  SAML_FORCE_AUTHN_IGNORED:
    'A fresh authentication (ForceAuthn) was requested, but the IdP answered with an earlier one.',
  SAML_REPLAY_CACHE_FULL:
    'The in-memory replay cache is full of live entries: new sign-ins are refused until some expire.',
  // Single Logout.
  SAML_LOGOUT_FAILED: 'The IdP reported that Single Logout failed; the local session ended anyway.',
  SAML_LOGOUT_CROSS_SITE:
    'A sign-out POST came from another site without the logout token (cross-site request forgery).',
  // Configuration and lookup.
  SAML_CONNECTION_NOT_FOUND: 'No connection with this id exists.',
  // The organization's directory (SCIM).
  SAML_USER_DEPROVISIONED:
    "The organization's directory (SCIM) has deactivated or removed this user: sign-in is refused until it reactivates them.",
  SAML_USER_NOT_PROVISIONED:
    'The organization accepts only users its directory (SCIM) provisioned, and this user is not among them.',
  SAML_CONNECTION_INVALID: 'The connection is not usable as configured.',
  SAML_CONNECTION_NOT_ACTIVE:
    'The connection is a draft or awaits a passing test sign-in, so it accepts test sign-ins only.',
  SAML_TEST_WRONG_CONNECTION:
    "A test sign-in's response arrived at another connection's ACS URL (the IdP has that connection's values).",
  SAML_METADATA_INVALID: 'The IdP metadata could not be used.',
  // Organization policy (src/core/organization-policy.ts) and sign-in by work email.
  SAML_EMAIL_DOMAIN_NOT_VERIFIED:
    "The asserted email address is not in one of the organization's verified domains.",
  SAML_JIT_DISABLED:
    'The user does not exist yet and the organization does not create users at first sign-in.',
  SAML_NO_SSO_FOR_EMAIL: 'No single sign-on is set up for this email address.',
  SAML_DISCOVERY_RATE_LIMITED: 'Too many email look-ups from this client; try again shortly.',
} as const;

export type SamlErrorCode = keyof typeof SAML_ERROR_CODES;

export interface SamlSpErrorOptions {
  /** What an administrator should change to fix it. Written for the admin, not the end user. */
  hint?: string;
  /** Structured facts for logs and the admin page (expected/received, fingerprints, times). */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** The HTTP status a web adapter should answer with (default 400). */
  status?: number;
}

/**
 * A SAML message or metadata document was rejected.
 *
 * @example
 * ```ts
 * try {
 *   await sp.acs('acme', { samlResponse, browserKey });
 * } catch (err) {
 *   if (err instanceof SamlSpError && err.code === 'SAML_AUDIENCE_MISMATCH') console.error(err.hint);
 * }
 * ```
 */
export class SamlSpError extends Error {
  override readonly name = 'SamlSpError';
  readonly code: SamlErrorCode;
  readonly hint: string;
  readonly details: Record<string, unknown>;
  readonly status: number;

  constructor(code: SamlErrorCode, message: string, options: SamlSpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint ?? SAML_ERROR_CODES[code];
    this.details = options.details ?? {};
    this.status = options.status ?? 400;
  }

  /** The shape CONTRACT.md promises in ACS error bodies. */
  toJSON(): { code: SamlErrorCode; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

export function isSamlSpError(value: unknown): value is SamlSpError {
  return value instanceof SamlSpError;
}

/**
 * Integrator misuse (a bad option, a missing key) is a programming error, not a rejected message: it is
 * thrown at construction as a TypeError with a Node-style code, never as a SamlSpError.
 */
export class InvalidOptionError extends TypeError {
  readonly code: 'ERR_INVALID_ARG_VALUE' | 'ERR_INVALID_ARG_TYPE';
  constructor(
    message: string,
    code: 'ERR_INVALID_ARG_VALUE' | 'ERR_INVALID_ARG_TYPE' = 'ERR_INVALID_ARG_VALUE',
  ) {
    super(message);
    this.code = code;
  }
}
