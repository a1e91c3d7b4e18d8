/** Cookie reading and the cookie attributes the toolkit uses. */
import { parse } from 'cookie';
import type { CookieOptions, Request } from 'express';

/** Reads one cookie from the request without a cookie-parser middleware. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parse(header)[name];
}

/**
 * Attributes for the session cookie: HttpOnly, SameSite=Lax (sent on top-level navigation back from the IdP,
 * not on cross-site subresource requests), Secure whenever the app is served over https.
 */
export function sessionCookieOptions(secure: boolean, maxAgeMs?: number): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}),
  };
}

/**
 * Attributes for the cookie that binds an AuthnRequest to the browser. The IdP answers with a cross-site POST
 * to the ACS, and browsers send SameSite=Lax cookies only on cross-site GETs; so over https this cookie is
 * SameSite=None; Secure. Over plain http (local development, where the IdP is normally same-site: another port
 * of localhost) browsers refuse SameSite=None without Secure, so it stays Lax.
 */
export function requestBindingCookieOptions(secure: boolean): CookieOptions {
  return { httpOnly: true, sameSite: secure ? 'none' : 'lax', secure, path: '/', maxAge: 24 * 3600 * 1000 };
}
