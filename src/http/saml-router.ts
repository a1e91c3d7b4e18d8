/**
 * The SAML endpoints as an Express router, thin by design: read the request, call the ServiceProvider, write
 * the answer. Mount it where the ServiceProvider's routePrefix says (default '/saml'):
 *
 * @example
 * ```ts
 * const sp = new ServiceProvider({ baseUrl, entityId, keys, stores });
 * app.use('/saml', samlRouter(sp));
 * ```
 */

import express, { type Request, type Response, type Router } from 'express';
import { SamlSpError } from '../core/errors.ts';
import { renderAutoPostForm } from '../core/request/post-form.ts';
import { safeReturnTo } from '../sp/return-to.ts';
import type { ServiceProvider, SignInResult } from '../sp/service-provider.ts';
import type { TestSignIns } from '../sp/test-sign-in.ts';
import { looksLikeToken, newToken } from '../sp/tokens.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import { newTraceId } from '../trace/index.ts';
import { acsForm } from './acs-form.ts';
import { browserKeyCookieName, testSignInCookieName } from './browser-key.ts';
import { clientFacts } from './client-facts.ts';
import {
  cookiesOf,
  readCookie,
  requestBindingCookieOptions,
  sessionCookieOptions,
  setTokenCookie,
} from './cookies.ts';
import { discoveryRoutes } from './discovery-routes.ts';
import type { EndUserContext } from './end-user-page.ts';
import { errorHandler, methodNotAllowed } from './error-response.ts';
import { sendSamlError } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';
import { redirectToReturnTo, sendRedirect } from './redirect.ts';
import type { HotHandler, HotRoute } from './sign-in-fast-path.ts';
import { type SloRouterOptions, sloRouter } from './slo-router.ts';
import { stepUpQuery } from './step-up-query.ts';

export const DEFAULT_SESSION_COOKIE = 'saml_sp_session';

export interface SamlRouterOptions {
  /** Cookie that holds the session token. Two apps on one host need two names (cookies ignore ports). */
  sessionCookieName?: string;
  logger?: Logger;
  /** Largest accepted form body in bytes (the base64 SAMLResponse plus RelayState). Default 512 KiB. */
  maxBodyBytes?: number;
  /**
   * Replaces the default after a successful sign-in (set the session cookie, 303 to returnTo). Use it to
   * bridge into your own session system.
   */
  onSignIn?: (result: SignInResult, req: Request, res: Response) => void | Promise<void>;
  /**
   * Test sign-ins (src/sp/test-sign-in.ts): a response that answers a test request of this browser goes there,
   * lands on the test's result page, and never signs anyone in.
   */
  testSignIns?: TestSignIns;
  /**
   * Told after each metadata document served (the key ring records it for its rollover lint). `by` is the
   * client address and User-Agent: the URL is public, so it says who asked, it proves nothing. Its errors are
   * logged and never change the answer.
   */
  onMetadataFetch?: (connectionId: string, by: string) => void | Promise<void>;
  /** Who end users should contact when a sign-in fails (SUPPORT_CONTACT): shown on the error page. */
  supportContact?: string | undefined;
  /** Records SLO attempts (ACS attempts reach traces through the ServiceProvider's onSignInResult). */
  traces?: SloRouterOptions['traces'];
}

/** Creates the router with GET /:id/metadata, GET /:id/login, POST /:id/acs and GET|POST /:id/slo. */
export function samlRouter(sp: ServiceProvider, options: SamlRouterOptions = {}): Router {
  return samlRouterParts(sp, options).router;
}

/**
 * {@link samlRouter}, and apart the handlers of its two sign-in routes with the router's error handler: the
 * server's fast path (src/http/sign-in-fast-path.ts) runs those very functions, so both paths answer alike.
 */
export function samlRouterParts(
  sp: ServiceProvider,
  options: SamlRouterOptions = {},
): { router: Router; login: HotRoute; acs: HotRoute } {
  const cookieName = options.sessionCookieName ?? DEFAULT_SESSION_COOKIE;
  const bindingCookie = browserKeyCookieName(cookieName);
  const testCookie = testSignInCookieName(cookieName);
  const logger = options.logger ?? silentLogger;
  const secure = sp.baseUrl.startsWith('https:');
  const router = express.Router();
  const form = acsForm({ limit: options.maxBodyBytes ?? 512 * 1024, parameterLimit: 10 });

  const support = options.supportContact ? { supportContact: options.supportContact } : {};
  /** The error page's context: the connection's name and a fresh sign-in to it, keeping a safe returnTo. */
  const endUser = async (connectionId: string, returnTo?: unknown): Promise<EndUserContext> => {
    const connection = await sp.stores.connections.get(connectionId).catch(() => undefined);
    if (!connection) return support;
    const organization = connection.organizationId
      ? await sp.organizations.get(connection.organizationId).catch(() => undefined)
      : undefined;
    const path = `${sp.routePrefix}/${encodeURIComponent(connection.id)}/login`;
    return {
      ...support,
      organizationName: organization?.name ?? connection.displayName,
      connectionId: connection.id,
      retryUrl: `${path}?returnTo=${encodeURIComponent(safeReturnTo(returnTo))}`,
    };
  };
  // The two routes of every sign-in come first: a request walks the router's layers in order, and these paths
  // (two segments, fixed last one) cannot be claimed by the routes below.
  const login: HotHandler = async (req, res) => {
    // Express parses the query string anew at every read of req.query: read it once.
    const query = req.query;
    try {
      let browserKey = readCookie(req, bindingCookie);
      if (!looksLikeToken(browserKey)) {
        browserKey = newToken();
        setTokenCookie(res, bindingCookie, browserKey, requestBindingCookieOptions(secure));
      }
      const start = await sp.startLogin(req.params.connectionId, {
        returnTo: query.returnTo,
        browserKey,
        ...stepUpQuery(query),
        // The email typed on the discovery page, forwarded where the IdP reads one (core/request/login-hint.ts).
        loginHint: query.login_hint,
      });
      res.setHeader('Cache-Control', 'no-store');
      if (start.binding === 'redirect') {
        sendRedirect(res, 302, start.url);
        return;
      }
      res.type('html').send(renderAutoPostForm({ action: start.action, fields: start.fields }));
    } catch (err) {
      sendSamlError(
        req,
        res,
        err,
        logger,
        { route: 'login', connectionId: req.params.connectionId },
        { endUser: await endUser(req.params.connectionId, query.returnTo) },
      );
    }
  };
  router.get('/:connectionId/login', login);
  router.all('/:connectionId/login', methodNotAllowed(['GET', 'HEAD'], support));

  // The ACS in two steps, as two routes: the form body, then the sign-in.
  const acsBody: HotHandler = (req, res, next) => {
    form(req, res, (err?: unknown) => {
      if (!err) {
        next();
        return;
      }
      // Traced like every attempt: the trace ID on the page is one the admin can look up.
      const connectionId = req.params.connectionId as string;
      const traceId = newTraceId();
      const error = bodyError(err);
      void (async () => {
        await sp.reportAcsRefusal(connectionId, error, { traceId, client: clientFacts(req) });
        sendSamlError(
          req,
          res,
          error,
          logger,
          { route: 'acs', connectionId },
          { traceId, endUser: await endUser(connectionId) },
        );
      })();
    });
  };
  const acs: HotHandler = async (req, res) => {
    const connectionId = req.params.connectionId;
    // One ID for the attempt: its trace, its log lines and the error page all carry it.
    const traceId = newTraceId();
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const cookies = cookiesOf(req);
      const browserKey = cookies[bindingCookie];
      // Only a browser that started a test sign-in can be finishing one (its cookie: src/http/browser-key.ts).
      const tests = cookies[testCookie] === undefined ? undefined : options.testSignIns;
      const tested = await tests
        ?.receive(connectionId, { samlResponse: body.SAMLResponse, browserKey })
        // A store outage is the real ACS's to report (503, and recorded in the connection's health): it
        // meets the same store at once.
        .catch((err: unknown) => {
          if (isStoreUnavailable(err)) return undefined;
          throw err;
        });
      if (tested) {
        logger.info('saml.test_sign_in', {
          connectionId: tested.connectionId,
          arrivedAt: connectionId,
          outcome: tested.result?.outcome,
          code: tested.result?.error?.code,
        });
        res.setHeader('Cache-Control', 'no-store');
        redirectToReturnTo(res, tested.resultPath);
        return;
      }
      const result = await sp.acs(connectionId, {
        samlResponse: body.SAMLResponse,
        relayState: body.RelayState,
        browserKey,
        traceId,
        client: clientFacts(req),
      });
      logger.info('saml.signed_in', {
        traceId,
        connectionId,
        userId: result.user.id,
        nameId: result.assertion.nameId.value,
        assertionId: result.assertion.assertionId,
        certificate: result.assertion.signature.certificateFingerprint,
        warnings: result.profile.warnings,
      });
      if (options.onSignIn) {
        await options.onSignIn(result, req, res);
        return;
      }
      const maxAge = result.session.expiresAt.getTime() - Date.now();
      setTokenCookie(res, cookieName, result.sessionToken, sessionCookieOptions(secure, Math.max(0, maxAge)));
      redirectToReturnTo(res, result.returnTo);
    } catch (err) {
      sendSamlError(
        req,
        res,
        err,
        logger,
        { route: 'acs', connectionId },
        { traceId, endUser: await endUser(connectionId, body.RelayState) },
      );
    }
  };
  router.post('/:connectionId/acs', acsBody);
  router.post('/:connectionId/acs', acs);
  router.all('/:connectionId/acs', methodNotAllowed(['POST'], support));

  // GET and POST /discover: sign in by work email.
  router.use(discoveryRoutes(sp, { logger }));

  router.get('/:connectionId/metadata', async (req, res) => {
    try {
      const xml = await sp.metadata(req.params.connectionId);
      res.type('application/samlmetadata+xml').send(xml);
      if (options.onMetadataFetch) {
        const by = `${req.ip ?? 'unknown'} ${String(req.headers['user-agent'] ?? '').slice(0, 200)}`.trim();
        Promise.resolve()
          .then(() => options.onMetadataFetch?.(req.params.connectionId, by))
          .catch((error: unknown) => logger.warn('metadata.fetch_record_failed', { message: String(error) }));
      }
    } catch (err) {
      sendSamlError(req, res, err, logger, { route: 'metadata' }, { endUser: support });
    }
  });
  router.all('/:connectionId/metadata', methodNotAllowed(['GET', 'HEAD'], support));

  // The SP signing certificate for IdP consoles that want a file (AD FS, Entra): public, as in the metadata.
  router.get('/:connectionId/certificate.pem', async (req, res) => {
    try {
      const connection = await sp.connection(req.params.connectionId);
      res
        .type('application/x-pem-file')
        .attachment(`${connection.id}-sp-signing.pem`)
        .send(sp.spIdentity(connection).signing.certificatePem);
    } catch (err) {
      sendSamlError(req, res, err, logger, { route: 'certificate' });
    }
  });

  // GET and POST /:connectionId/slo: Single Logout (Redirect, POST and SOAP bindings).
  router.use(
    sloRouter(sp, {
      sessionCookieName: cookieName,
      logger,
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.supportContact ? { supportContact: options.supportContact } : {}),
      ...(options.traces ? { traces: options.traces } : {}),
    }),
  );

  // Whatever escapes the handlers above is answered here, never by the host app's default error page.
  const onError = errorHandler({ logger, ...support });
  router.use(onError);
  return { router, login: { handlers: [login], onError }, acs: { handlers: [acsBody, acs], onError } };
}

/** body-parser's errors, in our vocabulary. */
function bodyError(err: unknown): SamlSpError {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') {
    return new SamlSpError('SAML_MESSAGE_TOO_LARGE', 'The POST body is larger than the ACS accepts.', {
      hint: 'A genuine SAML response is a few kilobytes. If your IdP sends very large responses (thousands of groups), raise maxBodyBytes.',
      status: 413,
    });
  }
  return new SamlSpError('SAML_MALFORMED', 'The POST body could not be read as a form.', {
    hint: 'The IdP must use the HTTP-POST binding (application/x-www-form-urlencoded).',
    cause: err,
  });
}
