/**
 * One answer for every failure, on every route: a status, a stable code, a message and a hint, as JSON for
 * API clients and as a plain HTML page for browsers, with a trace ID that the log line carries too. Never a
 * stack trace or a file path, whatever NODE_ENV says: those go to the log only.
 *
 * `describeError` maps any thrown value to that answer (the one place that maps error types to HTTP),
 * `sendError` writes it, and `errorHandler()` / `notFoundHandler()` are the Express middleware that the
 * server, and each router an integrator mounts, end with.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { isSamlSpError } from '../core/errors.ts';
import { isAdminError } from '../sp/admin-errors.ts';
import { isStoreUnavailable } from '../store/errors.ts';
import { html, page } from './html.ts';
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
  /** Heading of the HTML page for 4xx answers (default "Request failed"). */
  title?: string;
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
  // The request's trace ID when it has one (a sign-in trace), else a fresh one; later log lines carry it.
  const traceId = currentTraceId() ?? randomUUID();
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
  const title =
    error.status === 503
      ? 'Temporarily unavailable'
      : error.status >= 500
        ? 'Something went wrong'
        : (options.title ?? 'Request failed');
  res.type('html').send(
    page(
      title,
      html`<h1>${title}</h1>
<div class="error"><p><strong>${error.code}</strong>: ${error.message}</p>
<p>${error.hint}</p></div>
<p class="muted">Trace ID <code>${traceId}</code>: give it to your administrator; the server log has the details.</p>
<p><a href="/">Back to the start page</a></p>`,
    ),
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
 * app.use(errorHandler({ logger }));
 * ```
 */
export function errorHandler(options: { logger: Logger; title?: string }): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    sendError(req, res, err, { logger: options.logger, ...(options.title ? { title: options.title } : {}) });
  };
}

/**
 * A 404 `NOT_FOUND` in the same shape as every other error, for requests no route answered.
 *
 * @example
 * ```ts
 * app.use(notFoundHandler());
 * app.use(errorHandler({ logger }));
 * ```
 */
export function notFoundHandler(): RequestHandler {
  return (req, res) => {
    res.status(404);
    res.setHeader('Cache-Control', 'no-store');
    const error = { code: 'NOT_FOUND', message: `Nothing here: ${req.method} ${req.path}.` };
    if (prefersJson(req)) {
      res.json({ error });
      return;
    }
    res
      .type('html')
      .send(
        page(
          'Not found',
          html`<h1>Not found</h1><p>${error.message}</p><p><a href="/">Back to the start page</a></p>`,
        ),
      );
  };
}
