/**
 * RP-initiated logout at the bridge (OpenID Connect RP-Initiated Logout 1.0) that reaches the IdP: an app sends
 * the user to `/oidc/session/end?id_token_hint=…&post_logout_redirect_uri=…`; the provider checks the hint and
 * the registered URI and asks the user to confirm (a page here, the provider's xsrf inside, so another site
 * cannot sign a user out); on confirmation the provider ends the OpenID session and notifies the back-channel
 * clients, and then, when this browser's SAML session belongs to the same account and its IdP has an SLO
 * endpoint, the bridge sends the user on to the IdP with a signed LogoutRequest instead of straight back. The
 * IdP's LogoutResponse comes back to the SP's SLO endpoint, whose returnTo is a signed ticket naming where the
 * provider would have gone (`/oidc/logout/return`): the client's post_logout_redirect_uri with its state.
 *
 * The ticket is signed because returnTo must stay a same-origin path (src/sp/return-to.ts) and the client's URI
 * is absolute: the HMAC proves the provider validated it, so the return route is not an open redirect.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { browserKeyCookieName, ensureBrowserKey } from '../http/browser-key.ts';
import { readCookie, sessionCookieOptions } from '../http/cookies.ts';
import { html, page } from '../http/html.ts';
import { sendOutgoing } from '../http/slo-router.ts';
import type { LogoutService, LogoutStart } from '../sp/logout-service.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import { looksLikeToken } from '../sp/tokens.ts';

export const LOGOUT_RETURN_PATH = '/oidc/logout/return';

export interface RpLogoutDeps {
  sp: ServiceProvider;
  logout: LogoutService;
  sessionCookieName: string;
  /** Signs the return tickets (the provider's cookie key). */
  ticketKey: string;
}

/**
 * The confirmation page (`logoutSource`): one button, which ends every session of this sign-in. The form is
 * rebuilt from the same two values as the provider's (its action and the session's xsrf secret), escaped.
 */
export async function logoutSource(ctx: KoaContextWithOIDC, _form: string): Promise<void> {
  const client = ctx.oidc.client;
  const name = client?.clientName ?? client?.clientId ?? 'An app';
  const action = ctx.oidc.urlFor('end_session_confirm');
  const xsrf = String(ctx.oidc.session?.state?.secret ?? '');
  ctx.type = 'html';
  // `logout=yes` asks the provider to end the whole OpenID session (every app signed in through it), which is
  // what the SAML logout that follows does at the IdP anyway.
  ctx.body = page(
    'Sign out',
    html`<h1>Sign out?</h1><p>${name} asked to sign you out. This signs you out of every app you reached through this sign-in, and of your organization's sign-in service where it supports that.</p>
<form id="op.logoutForm" method="post" action="${action}"><input type="hidden" name="xsrf" value="${xsrf}"><input type="hidden" name="logout" value="yes"><button type="submit" id="confirm-sign-out">Sign out</button></form>`,
  );
}

/** After a logout without a post_logout_redirect_uri. */
export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  ctx.type = 'html';
  ctx.body = page('Signed out', html`<h1>You are signed out</h1>`);
}

/** Post-processing of `end_session_confirm`: SAML SLO at the IdP before the provider's redirect. */
export function continueWithSamlLogout(provider: Provider, deps: RpLogoutDeps): void {
  const secure = deps.sp.baseUrl.startsWith('https:');
  provider.use(async (ctx, next) => {
    await next();
    const oidcCtx = ctx as KoaContextWithOIDC;
    if (oidcCtx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
    const accountId = oidcCtx.oidc.session?.accountId;
    const req = ctx.req as Request;
    const res = ctx.res as Response;
    const token = readCookie(req, deps.sessionCookieName);
    if (!accountId || !looksLikeToken(token)) return;
    let start: LogoutStart;
    try {
      const signedIn = await deps.sp.session(token);
      // Only the SAML session of the account that just signed out: another user's session in this browser stays.
      if (signedIn?.session.userId !== accountId) return;
      start = await deps.logout.startLogout({
        sessionToken: token,
        returnTo: returnTicket(ctx.response.get('location'), deps.ticketKey),
        browserKey: ensureBrowserKey(req, res, browserKeyCookieName(deps.sessionCookieName), secure),
      });
    } catch (err) {
      // A store that is down: the OpenID logout has happened; the browser goes back to the app as the provider
      // decided, and the failure is reported like the provider's own (its `server_error` event).
      ctx.app.emit('error', err, ctx);
      return;
    }
    res.clearCookie(deps.sessionCookieName, sessionCookieOptions(secure));
    if (start.kind !== 'slo') return; // No SLO endpoint at the IdP: the local logout is all there is.
    // The rest of the answer is Express's: the same LogoutRequest /logout sends.
    ctx.respond = false;
    res.removeHeader('Location');
    res.status(200);
    sendOutgoing(res, start.message);
  });
}

/** `/oidc/logout/return?to=…&sig=…`: where the provider would have sent the browser, once the IdP answered. */
export function mountLogoutReturn(router: Router, ticketKey: string): void {
  router.get(LOGOUT_RETURN_PATH, (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    const to = typeof req.query.to === 'string' ? req.query.to : '';
    const sig = typeof req.query.sig === 'string' ? req.query.sig : '';
    const expected = Buffer.from(sign(to, ticketKey));
    const given = Buffer.from(sig);
    if (!to || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res
        .status(400)
        .type('html')
        .send(
          page('Signed out', html`<h1>You are signed out</h1><p>The link back to the app was not valid.</p>`),
        );
      return;
    }
    res.redirect(303, Buffer.from(to, 'base64url').toString('utf8'));
  });
}

function returnTicket(location: string, key: string): string {
  const to = Buffer.from(location, 'utf8').toString('base64url');
  return `${LOGOUT_RETURN_PATH}?to=${to}&sig=${sign(to, key)}`;
}

function sign(value: string, key: string): string {
  return createHmac('sha256', key).update(`oidc-logout-return:${value}`).digest('base64url');
}
