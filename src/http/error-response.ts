/**
 * One answer for every failure, on every route: a status, a stable code, a message and a hint, as JSON for
 * API clients and as a plain HTML page for browsers, with a trace ID that the log line carries too. Never a
 * stack trace or a file path, whatever NODE_ENV says: those go to the log only.
 *
 * `describeError` maps any thrown value to that answer (the one place that maps error types to HTTP),
 * `sendError` writes it, and `errorHandler()` / `notFoundHandler()` are the Express middleware that the
 * server, and each router an integrator mounts, end with.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { isSamlSpError } from '../core/errors.ts';
import { isAdminError } from '../sp/admin-errors.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import { newTraceId } from '../trace/index.ts';
import { type EndUserContext, renderEndUserErrorPage } from './end-user-page.ts';
import { currentTraceId, setTraceId } from './log-context.ts';
import type { Logger } from './logger.ts';

/** The HTTP answer for a thrown value. */
export interface DescribedError {
  status: number;
  code: string;
  message: string;
  hint: string;
  /** Structured facts for the log (and the admin API); never shown on a public page. */
  details: Record<string, unknown>;
  /** Sent as `Retry-After` (seconds) when set. */
  retryAfterSeconds?: number;
}

/**
 * Maps any thrown value to its answer: our coded errors keep their code and status, a store outage is
 * 503 `STORE_UNAVAILABLE` with `Retry-After`, a body the parser refused is 400/413, and anything else is
 * 500 `INTERNAL_ERROR` with nothing of the original error in it.
 *
 * @example
 * ```ts
 * describeError(new StoreUnavailableError('redis')); // { status: 503, code: 'STORE_UNAVAILABLE', retryAfterSeconds: 5, ... }
 * ```
 */
export function describeError(err: unknown): DescribedError {
  if (isSamlSpError(err) || isAdminError(err)) {
    return { status: err.status, code: err.code, message: err.message, hint: err.hint, details: err.details };
  }
  if (isStoreUnavailable(err)) {
    return {
      status: 503,
      code: err.code,
      message: 'The service is temporarily unavailable: its storage cannot be reached.',
      hint: `Try again in a few seconds. Administrators: the server log names the store (${err.store}) and the cause.`,
      details: { store: err.store, ...(err.reason ? { reason: err.reason } : {}) },
      retryAfterSeconds: err.retryAfterSeconds,
    };
  }
  const parserType = (err as { type?: unknown } | null)?.type;
  if (parserType === 'entity.too.large') {
    return {
      status: 413,
      code: 'REQUEST_TOO_LARGE',
      message: 'The request body is larger than this endpoint accepts.',
      hint: 'Send a smaller body.',
      details: {},
    };
  }
  const status = httpStatusOf(err);
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      status,
      code: 'REQUEST_INVALID',
      message: `The request could not be processed (${STATUS_CODES[status] ?? status}).`,
      hint: 'Check the request URL, headers and body.',
      details: typeof parserType === 'string' ? { type: parserType } : {},
    };
  }
  return {
    status: 500,
    code: 'INTERNAL_ERROR',
    message: 'Internal error.',
    hint: 'The server log has the details under the trace ID shown here.',
    details: {},
  };
}

/**
 * The status of an http-errors style error (body-parser; the router's URL decoding, which sets `status` but
 * not `expose`), if it carries one. Only its status is used, never its message.
 */
function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode, expose } = err as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && expose !== false ? value : undefined;
}

export interface SendErrorOptions {
  logger: Logger;
  /** Log event name (default `http.error`). */
  event?: string;
  /** Extra log fields (route, connection id). */
  context?: Record<string, unknown>;
  /** What failed, shown above the page's plain-language heading ("Sign-in failed", "Sign-out refused"). */
  title?: string;
  /**
   * The trace ID to show and log; default a new one. The ACS and SLO routes make it before the attempt, so
   * that the page, the log and the stored trace share one ID.
   */
  traceId?: string;
  /** Organization name, "Try again" URL and support contact for the HTML page. */
  endUser?: EndUserContext;
}

/**
 * Writes the answer for `err`: JSON `{ error: { code, message, hint, traceId } }` when the client prefers
 * JSON, else an HTML page with the same code and trace ID. Logs the code, the details and, for 5xx, the
 * cause with its stack. Headers already sent: the connection is cut (a half-written answer must not pass
 * for a whole one).
 *
 * @example
 * ```ts
 * router.get('/things', async (req, res) => {
 *   try { res.json(await things.list()); } catch (err) { sendError(req, res, err, { logger }); }
 * });
 * ```
 */
export function sendError(
  req: Request,
  res: Response,
  err: unknown,
  options: SendErrorOptions,
): DescribedError {
  const error = describeError(err);
  // One ID per request: the caller's (the sign-in trace's), else the request's, else a fresh one.
  const traceId = options.traceId ?? currentTraceId() ?? newTraceId();
  setTraceId(traceId);
  const log = error.status >= 500 && error.status !== 503 ? options.logger.error : options.logger.warn;
  log(options.event ?? 'http.error', {
    traceId,
    code: error.code,
    status: error.status,
    message: error.message,
    hint: error.hint,
    method: req.method,
    path: req.originalUrl.split('?')[0],
    ...(Object.keys(error.details).length ? { details: error.details } : {}),
    ...options.context,
    ...(error.status >= 500 ? { cause: describeCause(err) } : {}),
  });
  if (res.headersSent) {
    res.destroy();
    return error;
  }
  res.status(error.status);
  res.setHeader('Cache-Control', 'no-store');
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  const body = { error: { code: error.code, message: error.message, hint: error.hint, traceId } };
  if (prefersJson(req)) {
    res.json(body);
    return error;
  }
  res.type('html').send(
    renderEndUserErrorPage({
      code: error.code,
      status: error.status,
      traceId,
      at: new Date(),
      statusCodes: error.details.statusCodes,
      ...(options.title ? { title: options.title } : {}),
      ...(options.endUser ? { context: options.endUser } : {}),
    }),
  );
  return error;
}

/** JSON when the client asks for it over HTML (API clients, fetch with `Accept: application/json`). */
export function prefersJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

/** The cause for the log: its stack (which names files) never leaves the server. */
function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner = err.cause instanceof Error ? `\ncaused by: ${err.cause.stack ?? err.cause.message}` : '';
  return `${err.stack ?? err.message}${inner}`;
}

/**
 * The last middleware of an app or router: answers any error passed to `next(err)` (or thrown by an async
 * handler) with {@link sendError}, instead of Express's default page, which shows the stack outside
 * production.
 *
 * @example
 * ```ts
 * app.use(errorHandler({ logger, supportContact: 'it-help@example.com' }));
 * ```
 */
export function errorHandler(options: {
  logger: Logger;
  title?: string;
  supportContact?: string | undefined;
}): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    sendError(req, res, err, {
      logger: options.logger,
      ...(options.title ? { title: options.title } : {}),
      ...(options.supportContact ? { endUser: { supportContact: options.supportContact } } : {}),
    });
  };
}

/**
 * A 404 `NOT_FOUND` in the same shape as every other error (the styled page for browsers, JSON with a code
 * and a trace ID for API clients), for requests no route answered: never Express's "Cannot GET".
 *
 * @example
 * ```ts
 * app.use(notFoundHandler());
 * app.use(errorHandler({ logger }));
 * ```
 */
export function notFoundHandler(options: { supportContact?: string | undefined } = {}): RequestHandler {
  return (req, res) => {
    sendCoded(req, res, 404, {
      code: 'NOT_FOUND',
      message: `Nothing here: ${req.method} ${req.path}.`,
      hint: 'Check the URL.',
      supportContact: options.supportContact,
    });
  };
}

/**
 * A 405 `METHOD_NOT_ALLOWED` with an `Allow` header, for a route that exists under other methods: mount it
 * with `router.all(path, ...)` after the route's own methods.
 *
 * @example
 * ```ts
 * router.get('/:id/login', login);
 * router.all('/:id/login', methodNotAllowed(['GET']));
 * ```
 */
export function methodNotAllowed(
  allowed: readonly string[],
  options: { supportContact?: string | undefined } = {},
): RequestHandler {
  return (req, res) => {
    res.setHeader('Allow', allowed.join(', '));
    sendCoded(req, res, 405, {
      code: 'METHOD_NOT_ALLOWED',
      message: `${req.method} is not allowed here; use ${allowed.join(' or ')}.`,
      hint: `This endpoint answers ${allowed.join(' and ')} only.`,
      supportContact: options.supportContact,
    });
  };
}

/** A 4xx that is no thrown error (no log line): JSON or the end-user page. */
function sendCoded(
  req: Request,
  res: Response,
  status: number,
  error: { code: string; message: string; hint: string; supportContact: string | undefined },
): void {
  const traceId = newTraceId();
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  if (prefersJson(req)) {
    res.json({ error: { code: error.code, message: error.message, hint: error.hint, traceId } });
    return;
  }
  res.type('html').send(
    renderEndUserErrorPage({
      code: error.code,
      status,
      traceId,
      at: new Date(),
      ...(error.supportContact ? { context: { supportContact: error.supportContact } } : {}),
    }),
  );
}
