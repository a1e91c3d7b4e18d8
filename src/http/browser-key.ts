/**
 * The browser key: a random value in a cookie that binds the SP's outstanding requests (AuthnRequests and
 * LogoutRequests) to the browser that started them. The SAML router names it `${sessionCookieName}_req`.
 */
import type { Request, Response } from 'express';
import { looksLikeToken, newToken } from '../sp/tokens.ts';
import { readCookie, requestBindingCookieOptions } from './cookies.ts';

/** The browser-key cookie that goes with a session cookie name. */
export function browserKeyCookieName(sessionCookieName: string): string {
  return `${sessionCookieName}_req`;
}

/**
 * The cookie that says "this browser started a test sign-in" (`${sessionCookieName}_test`), set by
 * sendTestSignIn for as long as a run stays readable. Without it the ACS does not look for a test run: finding
 * one means reading the response's (unverified) InResponseTo and looking up its request, about 80 µs of every
 * sign-in in a live server (issue #16), for a test that almost never exists. It decides nothing else: a
 * response to a test request that arrives without it meets the real ACS, which refuses test requests.
 */
export function testSignInCookieName(sessionCookieName: string): string {
  return `${sessionCookieName}_test`;
}

/** This browser's key, when it has a well-formed one. */
export function browserKeyOf(req: Request, cookieName: string): string | undefined {
  const value = readCookie(req, cookieName);
  return looksLikeToken(value) ? value : undefined;
}

/** This browser's key, set as a cookie first when it has none. */
export function ensureBrowserKey(req: Request, res: Response, cookieName: string, secure: boolean): string {
  const existing = browserKeyOf(req, cookieName);
  if (existing) return existing;
  const key = newToken();
  res.cookie(cookieName, key, requestBindingCookieOptions(secure));
  return key;
}
