/**
 * The HTTP edges of a test sign-in (src/sp/test-sign-in.ts): starting one from a page (the admin page, the
 * setup portal), and answering the ACS POST that carries its response. Thin: cookies and redirects only.
 */
import type { Request, Response } from 'express';
import { renderAutoPostForm } from '../core/request/post-form.ts';
import type { ChangeContext } from '../sp/change-context.ts';
import type { TestSignIns } from '../sp/test-sign-in.ts';
import { looksLikeToken, newToken } from '../sp/tokens.ts';
import { browserKeyCookieName, testSignInCookieName } from './browser-key.ts';
import { readCookie, requestBindingCookieOptions, setTokenCookie } from './cookies.ts';
import { DEFAULT_SESSION_COOKIE } from './saml-router.ts';

/** The request-binding cookie's name for a session cookie name (the SAML router uses the same rule). */
export function bindingCookieName(sessionCookieName: string = DEFAULT_SESSION_COOKIE): string {
  return browserKeyCookieName(sessionCookieName);
}

/**
 * Starts a test sign-in for this browser and sends it to the IdP (a redirect, or an auto-posting form).
 *
 * @example
 * ```ts
 * await sendTestSignIn(req, res, { tests, connectionId: 'acme', resultPath: (run) => `/setup/result?run=${run}` });
 * ```
 */
export async function sendTestSignIn(
  req: Request,
  res: Response,
  options: {
    tests: TestSignIns;
    connectionId: string;
    resultPath: (run: string) => string;
    sessionCookieName?: string;
    context?: ChangeContext;
    /** Runs before the browser leaves for the IdP (remember the run in the caller's session here). */
    onStarted?: (run: string) => Promise<void>;
  },
): Promise<string> {
  const sessionCookieName = options.sessionCookieName ?? DEFAULT_SESSION_COOKIE;
  const cookie = bindingCookieName(sessionCookieName);
  const secure = options.tests.connections.sp.baseUrl.startsWith('https:');
  let browserKey = readCookie(req, cookie);
  if (!looksLikeToken(browserKey)) {
    browserKey = newToken();
    res.cookie(cookie, browserKey, requestBindingCookieOptions(secure));
  }
  const { run, login } = await options.tests.start(
    options.connectionId,
    { browserKey, resultPath: options.resultPath },
    options.context ?? {},
  );
  // The ACS looks for a test run only in a browser that carries this (src/http/browser-key.ts). It goes wherever
  // the browser key goes (the IdP's cross-site POST included) and lives as long as the run.
  setTokenCookie(res, testSignInCookieName(sessionCookieName), '1', {
    ...requestBindingCookieOptions(secure),
    maxAge: options.tests.ttlMs,
  });
  await options.onStarted?.(run);
  res.setHeader('Cache-Control', 'no-store');
  if (login.binding === 'redirect') res.redirect(303, login.url);
  else res.type('html').send(renderAutoPostForm({ action: login.action, fields: login.fields }));
  return run;
}
