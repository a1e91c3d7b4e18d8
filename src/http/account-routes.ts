/**
 * GET /me and GET|POST /logout (CONTRACT.md). Logout ends the local session at once and, when the user's
 * connection has an SLO endpoint, sends the IdP a signed LogoutRequest (src/sp/logout-service.ts); the IdP's
 * LogoutResponse comes back to /saml/:connectionId/slo. Without an SLO endpoint the user is told that only the
 * local session ended.
 */
import express, { type Request, type Response, type Router } from 'express';
import { LogoutService } from '../sp/logout-service.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { looksLikeToken } from '../sp/tokens.ts';
import { browserKeyCookieName, ensureBrowserKey } from './browser-key.ts';
import { readCookie, sessionCookieOptions } from './cookies.ts';
import { currentSession } from './current-session.ts';
import { errorHandler } from './error-response.ts';
import { sendSamlError } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';
import { sendLogoutNotice } from './logout-pages.ts';
import { DEFAULT_SESSION_COOKIE } from './saml-router.ts';
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
    sessionExpiresAt: session.expiresAt.toISOString(),
  };
}

/** Creates the router with /me and /logout. */
export function accountRoutes(sp: ServiceProvider, options: AccountRoutesOptions = {}): Router {
  const cookieName = options.sessionCookieName ?? DEFAULT_SESSION_COOKIE;
  const secure = sp.baseUrl.startsWith('https:');
  const router = express.Router();

  const logger = options.logger ?? silentLogger;
  router.get('/me', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const current = await currentSession(sp, req, cookieName);
    if (!current) {
      res.status(401).json({ error: { code: 'NOT_SIGNED_IN', message: 'No signed-in session.' } });
      return;
    }
    res.json(meJson(current));
  });

  const logoutService = options.logout ?? new LogoutService(sp);
  const logout = async (req: Request, res: Response) => {
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
          res.redirect(303, start.returnTo);
          return;
        case 'local':
          logger.info('saml.logout_local', { connectionId: start.connectionId, reason: start.reason });
          if (start.reason === 'connection-gone') {
            res.redirect(303, start.returnTo);
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
  };
  router.get('/logout', logout);
  router.post('/logout', logout);
  // A store outage under /me (503 STORE_UNAVAILABLE), or any other failure, answered without internals.
  router.use(errorHandler({ logger }));
  return router;
}
