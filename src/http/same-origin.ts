/**
 * Logout CSRF (issue #9, item 6): signing out is a state change, so it takes a POST that provably comes from
 * this application, as Spring Security, Django (since 5.0) and Rails/Devise do it; `GET /logout` only shows a
 * confirmation page whose form makes that POST. A POST is accepted when
 *
 * 1. it carries the logout token of the session it ends (a synchroniser token derived from the session
 *    cookie, which another site can neither read nor compute), or
 * 2. the browser says it comes from this origin: `Sec-Fetch-Site: same-origin` (or `none`, a user action such
 *    as a bookmark), or, from a browser too old to send Fetch Metadata, an `Origin` header equal to BASE_URL's
 *    origin. This is Go 1.25's `http.CrossOriginProtection` rule: every browser in use sends one of the two on
 *    a cross-origin POST, so a request with neither comes from a script (curl, a server), which no other site
 *    can make carry the user's cookies.
 *
 * `Sec-Fetch-Site: same-site` is refused like `cross-site`: a sibling subdomain is another application.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { SamlSpError } from '../core/errors.ts';

/** The form field of the logout token. */
export const LOGOUT_TOKEN_FIELD = 'csrf';

/**
 * The logout token of a session: an HMAC of a fixed label under the session cookie's value. It needs no
 * storage, changes with every session, and reveals nothing about the cookie.
 *
 * @example
 * ```ts
 * const csrf = logoutToken(current.token);
 * ```
 */
export function logoutToken(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('saml-sp-kit logout').digest('base64url');
}

/** How a POST's provenance was established, for the log. */
export type SameOriginEvidence = 'token' | 'fetch-metadata' | 'origin' | 'no-browser-headers';

/**
 * Returns why the POST counts as same-origin, or throws SAML_LOGOUT_CROSS_SITE (403).
 *
 * @example
 * ```ts
 * checkSameOriginPost(req, { baseUrl: sp.baseUrl, sessionToken, presentedToken: req.body.csrf });
 * ```
 */
export function checkSameOriginPost(
  req: Request,
  options: { baseUrl: string; sessionToken: string | undefined; presentedToken: unknown },
): SameOriginEvidence {
  const { sessionToken, presentedToken } = options;
  if (
    sessionToken &&
    typeof presentedToken === 'string' &&
    sameText(presentedToken, logoutToken(sessionToken))
  ) {
    return 'token';
  }
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const ours = new URL(options.baseUrl).origin;
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return 'fetch-metadata';
    throw crossSite(`Sec-Fetch-Site: ${site}`, {
      secFetchSite: site,
      origin: origin ?? null,
      expected: ours,
    });
  }
  if (origin !== undefined) {
    if (origin === ours) return 'origin';
    throw crossSite(`Origin: ${origin}`, { secFetchSite: null, origin, expected: ours });
  }
  return 'no-browser-headers';
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function crossSite(evidence: string, details: Record<string, unknown>): SamlSpError {
  return new SamlSpError(
    'SAML_LOGOUT_CROSS_SITE',
    `A sign-out request from another site was refused (${evidence}); the session continues.`,
    {
      hint: `Signing out takes a POST from this application's own pages (origin ${String(details.expected)}): GET /logout shows a confirmation page whose button does it. Link other sites to GET /logout rather than posting to it. If the application's own pages are refused, BASE_URL is not the URL browsers use: set it to the public origin.`,
      details,
      status: 403,
    },
  );
}
