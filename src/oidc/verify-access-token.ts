/**
 * `verifyAccessToken`: the one call a Node API makes to accept the bridge's access tokens (JWT, RFC 9068),
 * built on `jose`. It checks the signature against the bridge's published keys (fetched from its JWKS and
 * cached; a token signed by a newly rotated key triggers one refetch), the issuer, the audience (this API's
 * resource indicator), the `at+jwt` type, expiry, and optionally the scopes.
 *
 * @example
 * ```ts
 * const token = await verifyAccessToken(req.headers.authorization?.slice(7), {
 *   issuer: 'https://sso.example.com', audience: 'https://api.example.com', scope: 'api',
 * });
 * res.json({ user: token.sub });
 * ```
 */
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';

export interface VerifyAccessTokenOptions {
  /** The bridge's issuer (its BASE_URL unless OIDC_ISSUER says otherwise). */
  issuer: string;
  /** This API's resource indicator: the token's `aud` must name it. */
  audience: string;
  /** Scopes the token must all carry (space-separated or an array). */
  scope?: string | readonly string[];
  /** Default `${issuer}/oidc/jwks`. */
  jwksUri?: string;
  /** Allowed clock difference in seconds. Default 30. */
  clockToleranceSeconds?: number;
}

export interface VerifiedAccessToken extends JWTPayload {
  sub: string;
  client_id: string;
  scope?: string;
}

/** Why a token was refused, as a stable code an API can return in `WWW-Authenticate`. */
export class AccessTokenError extends Error {
  override readonly name = 'AccessTokenError';
  readonly code: 'invalid_token' | 'insufficient_scope';
  constructor(code: AccessTokenError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export async function verifyAccessToken(
  token: string | undefined,
  options: VerifyAccessTokenOptions,
): Promise<VerifiedAccessToken> {
  if (!token) throw new AccessTokenError('invalid_token', 'No access token was presented.');
  const jwksUri = options.jwksUri ?? `${options.issuer.replace(/\/+$/, '')}/oidc/jwks`;
  let keys = keySets.get(jwksUri);
  if (!keys) {
    // A short cooldown: after a rotation the first token with the new kid refetches the JWKS at once.
    keys = createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 1000, cacheMaxAge: 10 * 60_000 });
    keySets.set(jwksUri, keys);
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      issuer: options.issuer,
      audience: options.audience,
      typ: 'at+jwt',
      algorithms: ['RS256', 'PS256', 'ES256'],
      clockTolerance: options.clockToleranceSeconds ?? 30,
      requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'jti'],
    }));
  } catch (err) {
    const reason = err instanceof joseErrors.JOSEError ? `${err.code}: ${err.message}` : String(err);
    throw new AccessTokenError('invalid_token', `The access token was refused (${reason}).`, { cause: err });
  }
  const required = typeof options.scope === 'string' ? options.scope.split(' ') : (options.scope ?? []);
  const granted = new Set(String(payload.scope ?? '').split(' '));
  const missing = required.filter((s) => s && !granted.has(s));
  if (missing.length > 0) {
    throw new AccessTokenError(
      'insufficient_scope',
      `The access token lacks the scope ${missing.join(' ')}.`,
    );
  }
  return payload as VerifiedAccessToken;
}
