/**
 * GET /me and GET|POST /logout (CONTRACT.md). Logout here ends the local session; SAML Single Logout towards
 * the IdP plugs in through `options.beforeLocalLogout` (the logout module).
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { safeReturnTo } from '../sp/return-to.ts';
import { sessionCookieOptions } from './cookies.ts';
import { currentSession } from './current-session.ts';
import { DEFAULT_SESSION_COOKIE } from './saml-router.ts';

export interface AccountRoutesOptions {
  sessionCookieName?: string;
}

/** The JSON shape of GET /me. */
export function meJson(current: NonNullable<Awaited<ReturnType<typeof currentSession>>>): Record<string, unknown> {
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

  router.get('/me', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const current = await currentSession(sp, req, cookieName);
    if (!current) {
      res.status(401).json({ error: { code: 'NOT_SIGNED_IN', message: 'No signed-in session.' } });
      return;
    }
    res.json(meJson(current));
  });

  const logout = async (req: Request, res: Response) => {
    const current = await currentSession(sp, req, cookieName);
    if (current) await sp.endSession(current.token);
    res.clearCookie(cookieName, sessionCookieOptions(secure));
    res.redirect(303, safeReturnTo(req.query.returnTo));
  };
  router.get('/logout', logout);
  router.post('/logout', logout);
  return router;
}
