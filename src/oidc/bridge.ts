/**
 * The OpenID bridge (issue #17): saml-sp-kit as an OpenID Provider in front of every customer's SAML IdP, so
 * that apps that speak OpenID Connect (a Django admin, a Go API, a single-page app) sign users in through the
 * same connections. Built on panva's certified `oidc-provider`; this file only supplies what is ours:
 * storage (provider-adapter.ts), keys (key-ring.ts), accounts (the SP's users), and the login interaction,
 * which runs SP-initiated SAML and comes back with the SP session.
 *
 * Routes: discovery at `/.well-known/openid-configuration` (issuer = BASE_URL by default), everything else
 * under `/oidc/` (the SP's own `/me` and `/logout` stay as they are).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import Provider, { type Configuration, type KoaContextWithOIDC, errors as oidcErrors } from 'oidc-provider';
import type { Connection, UserRecord } from '../core/types.ts';
import { currentSession } from '../http/current-session.ts';
import { html, page } from '../http/html.ts';
import { LogoutService } from '../sp/logout-service.ts';
import type { ServiceProvider } from '../sp/service-provider.ts';
import type { OidcStore } from '../store/oidc.ts';
import { authnClaims } from './authn-claims.ts';
import { OidcKeyRing } from './key-ring.ts';
import { providerAdapter } from './provider-adapter.ts';
import {
  continueWithSamlLogout,
  logoutSource,
  mountLogoutReturn,
  postLogoutSuccessSource,
} from './rp-logout.ts';
import { secretMatches } from './secrets.ts';

/** An API the bridge issues JWT access tokens for (RFC 8707 resource indicator). */
export interface OidcResource {
  /** The resource indicator: an absolute URI, the `aud` of its access tokens. */
  indicator: string;
  /** The scopes the API knows, space-separated (default "api"). */
  scope?: string;
  /** Access token lifetime in seconds (default 300). */
  accessTokenTtlSeconds?: number;
}

export interface OidcBridgeOptions {
  sp: ServiceProvider;
  store: OidcStore;
  /** Default: the SP's base URL. */
  issuer?: string;
  /** The SP session cookie's name (the interaction reads the session SAML created). */
  sessionCookieName: string;
  /** Signs the provider's own cookies; at least one secret of 32+ characters. */
  cookieKeys: string[];
  resources?: OidcResource[];
  /** Starts SAML SLO when an app asks the bridge to sign the user out (default: a LogoutService of `sp`). */
  logout?: LogoutService;
  keyRotation?: { rotateAfterSeconds?: number; retainSeconds?: number };
  now?: () => Date;
}

export const OIDC_PREFIX = '/oidc';
const INTERACTION = `${OIDC_PREFIX}/interaction`;
/** How often the key ring is re-read (a rotation on another instance is picked up within this time). */
const KEY_CHECK_MS = 60_000;

export interface OidcBridge {
  /** Mount at the application's root: it answers only /.well-known/openid-configuration and /oidc/*. */
  router: Router;
  issuer: string;
  /** The provider as currently keyed (rebuilt when the signing keys change). */
  provider(): Promise<Provider>;
  keys: OidcKeyRing;
  /** Ends the account's OpenID sessions, notifies back-channel clients, revokes its grants (see above). */
  logoutAccount(accountId: string): Promise<{ sessions: number; notified: number; grants: number }>;
  /** Re-reads the keys now (after a rotation through the admin API). */
  refreshKeys(): Promise<void>;
}

export function createOidcBridge(options: OidcBridgeOptions): OidcBridge {
  const { sp, store } = options;
  const now = options.now ?? (() => new Date());
  const issuer = (options.issuer ?? sp.baseUrl).replace(/\/+$/, '');
  const keys = new OidcKeyRing(store, options.keyRotation ?? {});
  const logout = options.logout ?? new LogoutService(sp);
  const resources = new Map((options.resources ?? []).map((r) => [r.indicator, r]));
  let current: { version: string; provider: Provider; checkedAt: number } | undefined;
  let building: Promise<Provider> | undefined;

  async function provider(): Promise<Provider> {
    if (current && Date.now() - current.checkedAt < KEY_CHECK_MS) return current.provider;
    building ??= (async () => {
      try {
        const published = await keys.keys(now());
        const version = published.map((k) => k.kid).join(',');
        if (current?.version === version) {
          current.checkedAt = Date.now();
          return current.provider;
        }
        const built = buildProvider(published.map((k) => k.privateJwk));
        current = { version, provider: built, checkedAt: Date.now() };
        return built;
      } finally {
        building = undefined;
      }
    })();
    return building;
  }

  function buildProvider(jwks: Record<string, unknown>[]): Provider {
    const configuration: Configuration = {
      adapter: providerAdapter(store, now),
      jwks: { keys: jwks as never },
      cookies: { keys: options.cookieKeys },
      routes: {
        authorization: `${OIDC_PREFIX}/auth`,
        token: `${OIDC_PREFIX}/token`,
        userinfo: `${OIDC_PREFIX}/userinfo`,
        jwks: `${OIDC_PREFIX}/jwks`,
        introspection: `${OIDC_PREFIX}/token/introspection`,
        revocation: `${OIDC_PREFIX}/token/revocation`,
        end_session: `${OIDC_PREFIX}/session/end`,
      },
      scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
      claims: {
        // How and when the IdP authenticated the user (from the SAML AuthnStatement: authn-claims.ts) go into
        // every ID token with `openid`, unasked: an app deciding whether to allow an action needs them.
        sid: null,
        openid: ['sub', 'acr', 'amr', 'auth_time'],
        email: ['email'],
        profile: ['name', 'given_name', 'family_name'],
        groups: ['groups', 'organization'],
      },
      extraParams: ['organization', 'connection'],
      // Outgoing calls go only to URLs an app admin registered (back-channel logout URIs of clients created
      // through the admin API; dynamic registration is off), and in an estate those are often internal hosts
      // (a Django app on 10.x). So the provider's block on private and loopback addresses, made for URLs that
      // strangers register, is lifted here; its 2.5 s timeout stays.
      fetch: (url, init) => fetch(url, { ...init, dispatcher: undefined } as RequestInit),
      // The ID token carries the mapped profile itself (issue #17), not only userinfo.
      conformIdTokenClaims: false,
      // PKCE with S256 for every client, public or confidential (OAuth 2.1; our clients are all new).
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        introspection: { enabled: true },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx, _client, oneOf) => oneOf,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, indicator) => {
            const resource = resources.get(indicator);
            if (!resource) throw new oidcErrors.InvalidTarget(`unknown resource ${indicator}`);
            return {
              scope: resource.scope ?? 'api',
              audience: resource.indicator,
              accessTokenTTL: resource.accessTokenTtlSeconds ?? 300,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'RS256' } },
            };
          },
        },
      },
      ttl: {
        AccessToken: 300,
        AuthorizationCode: 60,
        IdToken: 3600,
        Interaction: 600,
        Grant: 14 * 86_400,
        Session: 14 * 86_400,
        RefreshToken: 14 * 86_400,
      },
      issueRefreshToken: async (_ctx, client, code) =>
        client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
      interactions: { url: async (_ctx, interaction) => `${INTERACTION}/${interaction.uid}` },
      findAccount: async (_ctx, sub) => {
        const user = await sp.stores.users.get(sub);
        if (!user) return undefined;
        const connection = await sp.stores.connections.get(user.connectionId);
        return { accountId: sub, claims: async () => claimsOf(user, connection) };
      },
      // First-party bridge: the app admin registered the client, so the user is not asked to consent.
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        if (!oidc.client || !oidc.session?.accountId) return undefined;
        const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
        const grant = grantId
          ? await oidc.provider.Grant.find(grantId)
          : new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
        if (!grant) return undefined;
        grant.addOIDCScope(String(oidc.params?.scope ?? 'openid'));
        const resource = oidc.params?.resource;
        for (const indicator of Array.isArray(resource) ? resource : resource ? [String(resource)] : []) {
          const info = resources.get(indicator);
          if (info) grant.addResourceScope(indicator, info.scope ?? 'api');
        }
        await grant.save();
        return grant;
      },
      renderError: async (ctx, out) => {
        ctx.type = 'html';
        ctx.body = page(
          'Sign-in error',
          html`<h1>Sign-in could not continue</h1><div class="error"><p><code>${out.error}</code></p><p>${out.error_description ?? ''}</p></div>`,
        );
      },
    };
    const built = new Provider(issuer, configuration);
    continueWithSamlLogout(built, {
      sp,
      logout,
      sessionCookieName: options.sessionCookieName,
      ticketKey: options.cookieKeys[0]!,
    });
    // Behind the app's proxy settings: Express already decided which X-Forwarded-* to trust.
    built.proxy = true;
    // Secrets are stored hashed: compare the hash of what the client presents.
    built.Client.prototype.compareClientSecret = function compare(
      this: { clientSecret?: string },
      actual: string,
    ) {
      return secretMatches(actual, this.clientSecret);
    };
    return built;
  }

  /**
   * A SAML logout (SP- or IdP-initiated) of a user ends what the bridge gave out on that login: every OpenID
   * session of the account is destroyed, each client with a back-channel logout URI gets its logout token
   * (OpenID Connect Back-Channel Logout 1.0), and every grant of the account is revoked, so its refresh
   * tokens stop working.
   */
  async function logoutAccount(
    accountId: string,
  ): Promise<{ sessions: number; notified: number; grants: number }> {
    const op = await provider();
    const at = now();
    let notified = 0;
    const sessions = await store.listPayloadsByAccount('Session', accountId, at);
    for (const { id, payload } of sessions) {
      const authorizations = (payload.authorizations ?? {}) as Record<
        string,
        { sid?: string; grantId?: string }
      >;
      for (const [clientId, authorization] of Object.entries(authorizations)) {
        const client = await op.Client.find(clientId);
        if (client?.backchannelLogoutUri && authorization.sid) {
          try {
            const notify = client.backchannelLogout as (sub: string, sid: string) => Promise<void>;
            await notify.call(client, accountId, authorization.sid);
            notified++;
          } catch {
            // A client that is down misses this notice; its refresh token is revoked below all the same.
          }
        }
        if (authorization.grantId) await store.revokeGrant(authorization.grantId);
      }
      await store.destroyPayload('Session', id);
    }
    const grants = await store.listPayloadsByAccount('Grant', accountId, at);
    for (const { id } of grants) {
      await store.revokeGrant(id);
      await store.destroyPayload('Grant', id);
    }
    return { sessions: sessions.length, notified, grants: grants.length };
  }

  sp.onSessionsEnded(async (ended) => {
    for (const userId of new Set(ended.map((s) => s.userId))) await logoutAccount(userId);
  });

  const router = express.Router();
  const cookieName = options.sessionCookieName;
  mountLogoutReturn(router, options.cookieKeys[0]!);

  // Step 1 of the login interaction: which connection? Then SP-initiated SAML, coming back to step 2.
  router.get(`${INTERACTION}/:uid`, async (req, res, next) => {
    try {
      const op = await provider();
      const details = await op.interactionDetails(req, res);
      if (details.prompt.name === 'consent') {
        // Registered by the app admin: grant what the client asked for without a consent screen.
        const grant = details.grantId
          ? await op.Grant.find(details.grantId)
          : new op.Grant({
              accountId: details.session!.accountId,
              clientId: String(details.params.client_id),
            });
        const missing = details.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant!.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
          grant!.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant!.save();
        await op.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      const params = details.params as Record<string, string | undefined>;
      const client = params.client_id ? await store.getClient(params.client_id) : undefined;
      const candidates = await connectionsFor(sp, {
        connection: params.connection,
        organization: params.organization ?? client?.organizationId,
        email: params.login_hint,
      });
      if (candidates.length === 0) {
        await op.interactionFinished(req, res, {
          error: 'access_denied',
          error_description:
            'SAML_CONNECTION_NOT_FOUND: no single sign-on connection matches this sign-in (give login_hint, organization or connection).',
        });
        return;
      }
      const returnTo = `${INTERACTION}/${encodeURIComponent(details.uid)}/saml`;
      if (candidates.length === 1) {
        res.redirect(303, samlLoginUrl(sp, candidates[0]!, returnTo));
        return;
      }
      res
        .type('html')
        .send(
          page(
            'Choose how to sign in',
            html`<h1>Choose how to sign in</h1><ul>${candidates.map(
              (c) =>
                html`<li><a class="button" href="${samlLoginUrl(sp, c, returnTo)}">${c.displayName}</a></li>`,
            )}</ul>`,
          ),
        );
    } catch (err) {
      next(err);
    }
  });

  // Step 2: the SAML sign-in created an SP session; it becomes the OpenID login.
  router.get(`${INTERACTION}/:uid/saml`, async (req, res, next) => {
    try {
      const op = await provider();
      const signedIn = await currentSession(sp, req, cookieName);
      if (!signedIn) {
        await op.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'SAML_SESSION_MISSING: the SAML sign-in did not complete; start again.',
        });
        return;
      }
      const { session, user } = signedIn;
      const connection = await sp.stores.connections.get(session.connectionId);
      await op.interactionFinished(
        req,
        res,
        {
          login: {
            accountId: user.id,
            ...(session.authn?.instant ? { ts: Math.floor(session.authn.instant.getTime() / 1000) } : {}),
            // acr = the AuthnContextClassRef, amr = RFC 8176 values mapped from it (authn-claims.ts).
            ...authnClaims({
              contextClassRef: session.authn?.contextClassRef,
              preset: connection?.preset,
              attributes: user.attributes,
            }),
          },
        },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });

  // The provider answers discovery and everything under /oidc that is not the interaction above.
  router.use(async (req: Request, res: Response, next) => {
    if (req.path !== '/.well-known/openid-configuration' && !req.path.startsWith(`${OIDC_PREFIX}/`))
      return next();
    try {
      const op = await provider();
      op.callback()(req as IncomingMessage, res as ServerResponse);
    } catch (err) {
      next(err);
    }
  });

  return {
    router,
    issuer,
    provider,
    keys,
    logoutAccount,
    async refreshKeys() {
      current = undefined;
      await provider();
    },
  };
}

/** The connections that may answer this sign-in: named one, an organization's, or the email domain's. */
async function connectionsFor(
  sp: ServiceProvider,
  wanted: { connection?: string | undefined; organization?: string | undefined; email?: string | undefined },
): Promise<Connection[]> {
  const all = await sp.stores.connections.list();
  if (wanted.connection) return all.filter((c) => c.id === wanted.connection);
  let organizationId = wanted.organization;
  if (!organizationId && wanted.email?.includes('@')) {
    const domain = wanted.email.split('@').pop()!.toLowerCase();
    const organization = await sp.organizations.findByDomain(domain);
    // Only a verified domain routes a sign-in: anyone can claim an unverified one.
    if (organization?.domains.some((d) => d.domain === domain && d.verified))
      organizationId = organization.id;
  }
  if (!organizationId) return [];
  return all.filter((c) => c.organizationId === organizationId);
}

function samlLoginUrl(sp: ServiceProvider, connection: Connection, returnTo: string): string {
  return `${sp.routePrefix}/${encodeURIComponent(connection.id)}/login?returnTo=${encodeURIComponent(returnTo)}`;
}

/** The id_token / userinfo claims: the SP's mapped profile. `sub` is the SP user id, stable per (connection, NameID). */
function claimsOf(
  user: UserRecord,
  connection: Connection | undefined,
): Record<string, unknown> & { sub: string } {
  return {
    sub: user.id,
    ...(user.email ? { email: user.email } : {}),
    ...(user.displayName ? { name: user.displayName } : {}),
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
    groups: user.groups,
    ...(connection?.organizationId ? { organization: connection.organizationId } : {}),
  };
}
