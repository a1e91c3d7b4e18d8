/**
 * The server's fast path for the three requests of every sign-in (issue #16): GET /saml/:id/login,
 * POST /saml/:id/acs and GET /me. Express routes a request by walking the app's stack layer by layer (log
 * context, security headers, the health and metrics routers, then the SAML router's own routes), creating
 * closures at each router and matching each layer's path pattern. For these three requests that walk always
 * ends at the same handlers, so this listener goes there directly and hands every other request to the app.
 *
 * It runs the very handler functions the routers hold (samlRouterParts, accountRouterParts), after doing what
 * Express does before them: the app's request/response prototypes (res.type, req.accepts, req.ip keep working
 * on error pages), the log context, the security headers, req.params / req.baseUrl / req.url as the router
 * sets them, and the router's error handler for whatever a handler throws. So the answers are the same bytes;
 * test/http/sign-in-fast-path.test.ts compares both paths request by request. Not set: `req.route` and
 * `req.next` (no handler of these routes reads them).
 *
 * Measured (README, "Complete sign-ins over HTTP"; bench/http-dispatch-paired.ts): the walk costs 3-10 µs per
 * request, 1-2% of a sign-in; the prototypes below cost Express and this path alike (changing a live object's prototype is
 * slow in V8, but building the messages on them from the start measured slower still).
 *
 * Only the plain form of each path is taken here: an exact lower-case path, a connection ID without
 * percent-encoding, GET or POST. Everything else (HEAD, other methods and their 405, a trailing slash, other
 * letter case, an encoded ID) goes through Express, which answers it as before.
 */
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { withLogContext } from './log-context.ts';
import { setSecurityHeaders } from './security-headers.ts';

/** A route handler as the routers define it (params by name). */
export type HotHandler = RequestHandler<Record<string, string>>;

/** One route: the handlers Express runs for it, in order, and the error handler of the router that holds it. */
export interface HotRoute {
  handlers: readonly HotHandler[];
  onError: ErrorRequestHandler;
}

export interface SignInRoutes {
  /** Where the SAML router is mounted on the app (the ServiceProvider's routePrefix, '/saml'). */
  samlMount: string;
  login: HotRoute;
  acs: HotRoute;
  me: HotRoute;
  /**
   * The app's last error handler: Express passes an error there when a router's own error handler passes it
   * on (not done by ours; kept so that the two paths stay alike even then).
   */
  appError: ErrorRequestHandler;
}

/**
 * Express 5's router publishes each handler call on this tracing channel (APM instrumentation). While anyone
 * listens, every request goes through Express, so that their traces stay complete.
 */
const routerTracing = diagnostics.tracingChannel('express.router.request');

/** A connection ID as the admin API accepts them (src/sp/connection-input.ts): nothing to decode. */
const PLAIN_ID = '[A-Za-z0-9_-]+';

/**
 * The request listener for node:http: the three sign-in routes here, everything else to `app`.
 *
 * @example
 * ```ts
 * const saml = samlRouterParts(sp, options);
 * const account = accountRouterParts(sp, options);
 * app.use('/saml', saml.router);
 * app.use(account.router);
 * const listener = signInFastPath(app, { samlMount: '/saml', login: saml.login, acs: saml.acs, me: account.me, appError });
 * createServer(listener);
 * ```
 */
export function signInFastPath(app: Express, routes: SignInRoutes): RequestListener {
  const mount = routes.samlMount.replace(/\/+$/, '');
  // /saml/<id>/login or /saml/<id>/acs, then the end or a query: group 1 the ID, group 2 the step.
  const samlPath = new RegExp(`^${escapeRegExp(mount)}/(${PLAIN_ID})/(login|acs)(?:\\?|$)`);

  return (req, res) => {
    const url = req.url ?? '';
    const method = req.method;
    if (!routerTracing.hasSubscribers) {
      if (method === 'GET' && (url === '/me' || url.startsWith('/me?'))) {
        serve(app, routes, routes.me, req, res, '', {});
        return;
      }
      if (method === 'GET' || method === 'POST') {
        const hit = samlPath.exec(url);
        if (hit && (hit[2] === 'login') === (method === 'GET')) {
          const route = method === 'GET' ? routes.login : routes.acs;
          serve(app, routes, route, req, res, mount, { connectionId: hit[1]! });
          return;
        }
      }
    }
    app(req, res);
  };
}

/** What app.handle, the app's first middlewares and the router do before a route's handlers; then them. */
function serve(
  app: Express,
  routes: SignInRoutes,
  route: HotRoute,
  message: IncomingMessage,
  response: ServerResponse,
  baseUrl: string,
  params: Record<string, string>,
): void {
  // app.handle: circular references, Express's prototypes, locals.
  const req = message as Request<Record<string, string>>;
  const res = response as Response;
  req.res = res;
  res.req = req;
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
  res.locals ??= Object.create(null);
  if (app.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
  // The router: the original URL, and the URL below the mount path while the mounted router's handlers run.
  req.originalUrl = req.url;
  req.baseUrl = baseUrl;
  req.url = req.url.slice(baseUrl.length);
  req.params = params;
  // The app's first two middlewares (src/server.ts): log context, security headers.
  withLogContext(() => {
    setSecurityHeaders(res);
    run(route, routes.appError, req, res);
  });
}

/**
 * Runs a route's handlers as Express's router does: each `next()` calls the next one, a thrown error or a
 * rejected promise goes to the router's error handler, and what that passes on to the app's.
 */
function run(
  route: HotRoute,
  appError: ErrorRequestHandler,
  req: Request<Record<string, string>>,
  res: Response,
): void {
  let index = 0;
  // Express's last resort (finalhandler) would write a page of its own; a connection cut says nothing.
  const lost = () => res.destroy();
  const toApp: NextFunction = (err?: unknown) =>
    err ? call(() => appError(err, req, res, lost), lost) : lost();
  const toRouter = (err: unknown) => call(() => route.onError(err, req, res, toApp), toApp);
  const next: NextFunction = (err?: unknown) => {
    if (err) {
      toRouter(err);
      return;
    }
    const handler = route.handlers[index++];
    // The last handler of each hot route answers; it never passes the request on.
    if (!handler) toRouter(new Error(`${req.method} ${req.originalUrl}: no handler answered`));
    else call(() => handler(req, res, next), next);
  };
  next();
}

/** Calls `fn`; a throw or a rejected promise goes to `onError` (Express: "Rejected promise" if falsy). */
function call(fn: () => unknown, onError: (err: unknown) => void): void {
  try {
    const ret = fn();
    if (ret instanceof Promise)
      ret.then(undefined, (err: unknown) => onError(err || new Error('Rejected promise')));
  } catch (err) {
    onError(err);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
