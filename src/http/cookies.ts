/** Cookie reading and the cookie attributes the toolkit uses. */
import { parse } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';

/** Reads one cookie from the request without a cookie-parser middleware. */
export function readCookie(req: Request, name: string): string | undefined {
  return cookiesOf(req)[name];
}

/** Every cookie of the request, parsed once, for a handler that reads several. */
export function cookiesOf(req: Request): Record<string, string | undefined> {
  const header = req.headers.cookie;
  return header ? parse(header) : {};
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

const SAME_SITE = { lax: 'Lax', strict: 'Strict', none: 'None' } as const;

/** Recent Expires texts by whole second: formatting a date is most of a cookie's cost, and seconds repeat. */
const httpDates = new Map<number, string>();

/** `new Date(ms).toUTCString()`, formatted once per second. */
function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  let text = httpDates.get(second);
  if (text === undefined) {
    // Two cookie lifetimes are in use at a time (the request binding's and the session's): a few entries do.
    if (httpDates.size >= 8) httpDates.clear();
    text = new Date(second * 1000).toUTCString();
    httpDates.set(second, text);
  }
  return text;
}
const TOKEN_VALUE = /^[A-Za-z0-9_-]+$/;

/**
 * Appends a Set-Cookie header for a token cookie, with the same text `res.cookie` writes for these attributes
 * (Max-Age, Path, Expires, HttpOnly, Secure, SameSite, in that order), without its option copy and per-call
 * validation of every attribute: the request-binding and session cookies are set on every sign-in (issue #16).
 * The value must be a token (base64url, as `newToken` makes), so it needs no encoding and cannot break
 * out of the header.
 *
 * @example
 * ```ts
 * setTokenCookie(res, 'saml_sp_session', token, sessionCookieOptions(secure, 8 * 3600_000));
 * ```
 */
export function setTokenCookie(res: Response, name: string, token: string, options: CookieOptions): void {
  if (!TOKEN_VALUE.test(token)) throw new TypeError('A token cookie holds base64url characters only.');
  let header = `${name}=${token}`;
  const maxAge = options.maxAge;
  if (maxAge !== undefined) header += `; Max-Age=${Math.floor(maxAge / 1000)}`;
  header += `; Path=${options.path ?? '/'}`;
  if (maxAge !== undefined) header += `; Expires=${httpDate(Date.now() + maxAge)}`;
  if (options.httpOnly) header += '; HttpOnly';
  if (options.secure) header += '; Secure';
  if (typeof options.sameSite === 'string') header += `; SameSite=${SAME_SITE[options.sameSite]}`;
  res.appendHeader('Set-Cookie', header);
}
