/**
 * GET /me and GET|POST /logout (CONTRACT.md). Logout ends the local session at once and, when the user's
 * connection has an SLO endpoint, sends the IdP a signed LogoutRequest (src/sp/logout-service.ts); the IdP's
 * LogoutResponse comes back to /saml/:connectionId/slo. Without an SLO endpoint the user is told that only the
 * local session ended.
 *
 * Signing out is a POST from this application (issue #9, item 6; same-origin.ts says how that is established).
 * GET /logout changes nothing: with a session it shows a confirmation page whose button makes that POST (so a
 * link to /logout still signs out, in one more click), and without one it goes straight to returnTo. A
 * cross-site link or image can therefore no longer sign anyone out.
 */
import express, { type Request, type Response, type Router } from 'express';
import { LogoutService } from '../sp/logout-service.ts';
import { safeReturnTo } from '../sp/return-to.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { looksLikeToken } from '../sp/tokens.ts';
import { browserKeyCookieName, ensureBrowserKey } from './browser-key.ts';
import { readCookie, sessionCookieOptions } from './cookies.ts';
import { currentSession } from './current-session.ts';
import { errorHandler } from './error-response.ts';
import { sendSamlError } from './errors.ts';
import { sendJsonNoStore } from './json-response.ts';
import { type Logger, silentLogger } from './logger.ts';
import { sendLogoutConfirm, sendLogoutNotice } from './logout-pages.ts';
import { redirectToReturnTo } from './redirect.ts';
import { checkSameOriginPost, LOGOUT_TOKEN_FIELD, logoutToken } from './same-origin.ts';
import { DEFAULT_SESSION_COOKIE } from './saml-router.ts';
import type { HotHandler, HotRoute } from './sign-in-fast-path.ts';
import { sendOutgoing } from './slo-router.ts';

export interface AccountRoutesOptions {
  sessionCookieName?: string;
  logger?: Logger;
  /** Share one LogoutService with the SLO endpoint (same options). Default: a new one. */
  logout?: LogoutService;
}

/** The JSON shape of GET /me. */
export function meJson(
  current: NonNullable<Awaited<ReturnType<typeof currentSession>>>,
): Record<string, unknown> {
  const { user, session } = current;
  return {
    id: user.id,
    email: user.email ?? null,
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    displayName: user.displayName ?? null,
    groups: user.groups,
    externalId: user.externalId ?? null,
    connectionId: session.connectionId,
    nameId: session.nameId.value,
    nameIdFormat: session.nameId.format ?? null,
    sessionIndex: session.sessionIndex ?? null,
    attributes: user.attributes,
    // When and how the IdP authenticated the user (step-up: a fresh sign-in shows a fresh instant).
    authnInstant: session.authn?.instant?.toISOString() ?? null,
    authnContextClassRef: session.authn?.contextClassRef ?? null,
    sessionExpiresAt: session.expiresAt.toISOString(),
  };
}

/** Creates the router with /me and /logout. */
export function accountRoutes(sp: ServiceProvider, options: AccountRoutesOptions = {}): Router {
  return accountRouterParts(sp, options).router;
}

/**
 * {@link accountRoutes}, and apart the handler of GET /me with the router's error handler: the server's fast
 * path (src/http/sign-in-fast-path.ts) runs that very function, so both paths answer alike.
 */
export function accountRouterParts(
  sp: ServiceProvider,
  options: AccountRoutesOptions = {},
): { router: Router; me: HotRoute } {
  const cookieName = options.sessionCookieName ?? DEFAULT_SESSION_COOKIE;
  const secure = sp.baseUrl.startsWith('https:');
  const router = express.Router();

  const logger = options.logger ?? silentLogger;
  const me: HotHandler = async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const current = await currentSession(sp, req, cookieName);
    if (!current) {
      sendJsonNoStore(res, 401, { error: { code: 'NOT_SIGNED_IN', message: 'No signed-in session.' } });
      return;
    }
    sendJsonNoStore(res, 200, meJson(current));
  };
  router.get('/me', me);

  const logoutService = options.logout ?? new LogoutService(sp);
  // Only the logout token travels in the body; a form that does not parse is judged without it.
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 });

  router.get('/logout', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const token = readCookie(req, cookieName);
    const live = looksLikeToken(token) ? await sp.session(token) : undefined;
    if (!live) {
      res.clearCookie(cookieName, sessionCookieOptions(secure));
      redirectToReturnTo(res, req.query.returnTo);
      return;
    }
    sendLogoutConfirm(req, res, { returnTo: safeReturnTo(req.query.returnTo), token: logoutToken(token!) });
  });

  router.post('/logout', (req, res, next) => {
    form(req, res, (err?: unknown) => {
      if (err) req.body = {};
      next();
    });
  });
  router.post('/logout', async (req, res) => {
    const token = readCookie(req, cookieName);
    try {
      const evidence = checkSameOriginPost(req, {
        baseUrl: sp.baseUrl,
        sessionToken: looksLikeToken(token) ? token : undefined,
        presentedToken: (req.body as Record<string, unknown> | undefined)?.[LOGOUT_TOKEN_FIELD],
      });
      logger.debug('saml.logout_post', { evidence });
    } catch (err) {
      // The session continues: nothing is cleared for a request another site made.
      sendSamlError(req, res, err, logger, { route: 'logout' }, { title: 'Sign-out refused' });
      return;
    }
    await signOut(req, res);
  });
  // A store outage under /me (503 STORE_UNAVAILABLE), or any other failure, answered without internals.
  const onError = errorHandler({ logger });
  router.use(onError);
  return { router, me: { handlers: [me], onError } };

  async function signOut(req: Request, res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    const token = readCookie(req, cookieName);
    // Cleared first: whatever happens next, this browser is signed out here.
    res.clearCookie(cookieName, sessionCookieOptions(secure));
    try {
      const start = await logoutService.startLogout({
        ...(looksLikeToken(token) ? { sessionToken: token } : {}),
        returnTo: req.query.returnTo,
        browserKey: ensureBrowserKey(req, res, browserKeyCookieName(cookieName), secure),
      });
      switch (start.kind) {
        case 'no-session':
          redirectToReturnTo(res, start.returnTo);
          return;
        case 'local':
          logger.info('saml.logout_local', { connectionId: start.connectionId, reason: start.reason });
          if (start.reason === 'connection-gone') {
            redirectToReturnTo(res, start.returnTo);
            return;
          }
          sendLogoutNotice(req, res, {
            kind: 'local',
            returnTo: start.returnTo,
            connectionId: start.connectionId,
          });
          return;
        case 'slo':
          logger.info('saml.logout_started', {
            connectionId: start.connectionId,
            requestId: start.requestId,
            binding: start.message.binding,
          });
          sendOutgoing(res, start.message);
          return;
      }
    } catch (err) {
      sendSamlError(req, res, err, logger, { route: 'logout' }, { title: 'Sign-out failed' });
    }
  }
}
