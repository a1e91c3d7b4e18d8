/**
 * Errors of the admin surface (API, page, CLI) that are not SAML rejections: authentication, CSRF, invalid
 * request bodies, conflicts. They share the `{ code, message, hint }` shape of SamlSpError so that every
 * admin answer looks the same: `{ "error": { "code", "message", "hint" } }`.
 */

/** The stable admin error codes. Adding one is fine; renaming one is a breaking change. */
export const ADMIN_ERROR_CODES = {
  ADMIN_TOKEN_NOT_SET: 'ADMIN_TOKEN is not configured, so the admin API and page are disabled.',
  ADMIN_UNAUTHORIZED: 'The admin token is missing or wrong.',
  ADMIN_CSRF_FAILED: 'The form was not submitted from this admin session.',
  ADMIN_RATE_LIMITED: 'Too many failed sign-in attempts.',
  ADMIN_INVALID_REQUEST: 'The request body or parameters are not valid.',
  ADMIN_NOT_FOUND: 'No such admin route.',
  CONNECTION_EXISTS: 'A connection with this id already exists.',
  CONNECTION_NOT_REFRESHABLE: 'The connection has no metadata URL to refresh from.',
  KEY_NOT_FOUND: 'No SP key with this id exists in the key ring.',
  KEY_TRANSITION_REFUSED: 'The SP key cannot make this state change (next -> active -> retired).',
  ADMIN_TOKEN_NAME_TAKEN: 'A live admin token already has this name.',
  WEBHOOK_NOT_FOUND: 'No webhook endpoint with this id exists.',
  WEBHOOK_MESSAGE_NOT_FOUND: 'No webhook delivery with this id exists.',
  WEBHOOKS_UNAVAILABLE: 'The store in use keeps no webhook outbox.',
  ORGANIZATION_NOT_FOUND: 'There is no organization with this id.',
  ORGANIZATION_EXISTS: 'An organization with this id already exists.',
  ORGANIZATION_HAS_CONNECTIONS: 'The organization still owns connections.',
  DOMAIN_INVALID: 'This is not a domain name an email address can have.',
  DOMAIN_TAKEN: 'The domain already belongs to another organization.',
  DOMAIN_NOT_FOUND: 'The organization does not claim this domain.',
  DOMAIN_VERIFICATION_FAILED: 'The DNS TXT record that proves control of the domain was not found.',
  DNS_UNAVAILABLE: 'The DNS resolver could not be reached or did not answer.',
  SETUP_LINK_NOT_FOUND: 'There is no such setup link.',
  SETUP_LINK_EXPIRED: 'The setup link has expired.',
  SETUP_LINK_REVOKED: 'The setup link was revoked.',
  SETUP_RATE_LIMITED: 'Too many requests to the setup portal from this address.',
  SETUP_TEST_REQUIRED: 'The connection needs a passing test sign-in before it can be activated.',
  CONNECTION_NAME_EXISTS: 'Another connection already has this display name.',
  CONNECTION_NOT_READY: 'The connection is a draft: it has no IdP metadata yet.',
  CONNECTION_TEST_REQUIRED: 'The connection needs a passing test sign-in before it can be activated.',
  ADMIN_CONFIRMATION_REQUIRED: 'The action must be confirmed by typing the connection id.',
  ADMIN_FORBIDDEN: 'This actor may not do that (only an app admin may).',
  OIDC_CLIENT_NOT_FOUND: 'There is no OpenID client with this id.',
  OIDC_CLIENT_INVALID: 'The OpenID Provider refused this client registration.',
  OIDC_BRIDGE_OFF: 'The OpenID bridge is not turned on (OIDC_BRIDGE=on).',
} as const;

export type AdminErrorCode = keyof typeof ADMIN_ERROR_CODES;

export interface AdminErrorOptions {
  hint?: string;
  status?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * An admin request that cannot be served.
 *
 * @example
 * ```ts
 * throw new AdminError('CONNECTION_EXISTS', 'A connection "acme" already exists.', { status: 409 });
 * ```
 */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  readonly code: AdminErrorCode;
  readonly hint: string;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: AdminErrorCode, message: string, options: AdminErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint ?? ADMIN_ERROR_CODES[code];
    this.status = options.status ?? 400;
    this.details = options.details ?? {};
  }

  toJSON(): { code: AdminErrorCode; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

export function isAdminError(value: unknown): value is AdminError {
  return value instanceof AdminError;
}
