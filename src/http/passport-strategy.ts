/**
 * A passport strategy for apps that already use passport. It drives the same ServiceProvider as samlRouter:
 * a GET starts SP-initiated SSO, a POST carrying SAMLResponse runs the strict ACS. The verified user goes to
 * passport's `success()`, so passport's own session (req.login) takes over from there.
 *
 * @example
 * ```ts
 * passport.use(new SamlSpStrategy(sp));
 * app.get('/sso/:connectionId/login', passport.authenticate('saml-sp-kit'));
 * app.post('/sso/:connectionId/acs', express.urlencoded({ extended: false }),
 *   passport.authenticate('saml-sp-kit', { failureRedirect: '/login-failed' }), (req, res) => res.redirect('/'));
 * ```
 * The ACS URL the IdP posts to must be the ServiceProvider's (`sp.spIdentity(connection).acsUrl`): mount these
 * routes under the ServiceProvider's routePrefix.
 */

import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { renderAutoPostForm } from '../core/request/post-form.ts';
import type { ServiceProvider, SignInResult } from '../sp/service-provider.ts';
import { looksLikeToken, newToken } from '../sp/tokens.ts';
import { readCookie, requestBindingCookieOptions } from './cookies.ts';
import { describeError } from './error-response.ts';
import { stepUpQuery } from './step-up-query.ts';

export interface SamlSpStrategyOptions {
  /** Strategy name for passport.authenticate(). Default 'saml-sp-kit'. */
  name?: string;
  /** Cookie binding AuthnRequests to the browser. Default 'saml_sp_req'. */
  requestCookieName?: string;
  /** Picks the connection; default: the `connectionId` route parameter. */
  connectionId?: (req: Request) => string | undefined;
  /** Turns a sign-in into the user object passport stores. Default: the local user record. */
  toUser?: (result: SignInResult) => unknown;
}

// Passport calls authenticate() on Object.create(strategy), a fresh object per request: ECMAScript #private
// members are not reachable through that prototype chain, so this class keeps TypeScript-private fields.
export class SamlSpStrategy extends Strategy {
  name: string;
  private readonly sp: ServiceProvider;
  private readonly cookie: string;
  private readonly connectionId: (req: Request) => string | undefined;
  private readonly toUser: (result: SignInResult) => unknown;

  constructor(sp: ServiceProvider, options: SamlSpStrategyOptions = {}) {
    super();
    this.sp = sp;
    this.name = options.name ?? 'saml-sp-kit';
    this.cookie = options.requestCookieName ?? 'saml_sp_req';
    this.connectionId =
      options.connectionId ??
      ((req) => {
        const id = req.params?.connectionId;
        return typeof id === 'string' ? id : undefined;
      });
    this.toUser = options.toUser ?? ((result) => result.user);
  }

  override authenticate(req: Request): void {
    const connectionId = this.connectionId(req);
    if (!connectionId) {
      this.error(
        new TypeError(
          'SamlSpStrategy: no connection id (route parameter :connectionId or options.connectionId)',
        ),
      );
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const work =
      req.method === 'POST' && typeof body.SAMLResponse === 'string'
        ? this.acs(req, connectionId, body)
        : this.login(req, connectionId);
    work.catch((err: unknown) => {
      const error = describeError(err);
      // A server-side failure (a store outage: StoreUnavailableError, status 503) goes to the app's error
      // handling as it is; a rejected message fails the authentication with its code.
      if (error.status >= 500) this.error(err instanceof Error ? err : new Error(String(err)));
      else
        this.fail(
          { message: `${error.code}: ${error.message}`, code: error.code, hint: error.hint },
          error.status,
        );
    });
  }

  private async login(req: Request, connectionId: string): Promise<void> {
    const secure = this.sp.baseUrl.startsWith('https:');
    let browserKey = readCookie(req, this.cookie);
    if (!looksLikeToken(browserKey)) {
      browserKey = newToken();
      req.res?.cookie(this.cookie, browserKey, requestBindingCookieOptions(secure));
    }
    const start = await this.sp.startLogin(connectionId, {
      returnTo: req.query?.returnTo,
      browserKey,
      ...stepUpQuery(req.query),
    });
    if (start.binding === 'redirect') {
      this.redirect(start.url);
      return;
    }
    req.res?.type('html').send(renderAutoPostForm({ action: start.action, fields: start.fields }));
    this.pass();
  }

  private async acs(req: Request, connectionId: string, body: Record<string, unknown>): Promise<void> {
    const result = await this.sp.acs(connectionId, {
      samlResponse: body.SAMLResponse,
      relayState: body.RelayState,
      browserKey: readCookie(req, this.cookie),
    });
    // The ServiceProvider also created its own session record; passport keeps its own, so end ours.
    await this.sp.endSession(result.sessionToken);
    this.success(this.toUser(result), { returnTo: result.returnTo, connectionId });
  }
}
