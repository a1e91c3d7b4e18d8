/**
 * How a rejection reaches the two audiences (STYLE.md habit 8): the browser gets the code, a message, the
 * hint and a trace ID; the log gets the same plus the structured details (fingerprints, expected/received).
 * The mapping from error to status and code is `describeError` (src/http/error-response.ts), shared by every
 * route: a store outage is 503 `STORE_UNAVAILABLE` with `Retry-After`, an unexpected error 500
 * `INTERNAL_ERROR`, never with a stack trace.
 */
import type { Request, Response } from 'express';
import type { EndUserContext } from './end-user-page.ts';
import { sendError } from './error-response.ts';
import type { Logger } from './logger.ts';

/**
 * Answers a rejected request: JSON when the client accepts JSON, else an HTML page. Logs the details.
 * `pageOptions.title` names what failed on the HTML page (default "Sign-in failed"); `traceId` is the ID the
 * attempt's trace was recorded under; `endUser` the organization name, "Try again" URL and support contact.
 */
export function sendSamlError(
  req: Request,
  res: Response,
  err: unknown,
  logger: Logger,
  context: Record<string, unknown> = {},
  pageOptions: { title?: string; traceId?: string; endUser?: EndUserContext } = {},
): void {
  sendError(req, res, err, {
    logger,
    event: 'saml.rejected',
    context,
    title: pageOptions.title ?? 'Sign-in failed',
    ...(pageOptions.traceId ? { traceId: pageOptions.traceId } : {}),
    ...(pageOptions.endUser ? { endUser: pageOptions.endUser } : {}),
  });
}
