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
