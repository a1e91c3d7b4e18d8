/**
 * How a rejection reaches the two audiences (STYLE.md habit 8): the browser gets the code, a message, the
 * hint and a trace ID; the log gets the same plus the structured details (fingerprints, expected/received).
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { isSamlSpError, SamlSpError } from '../core/errors.ts';
import { html, page } from './html.ts';
import type { Logger } from './logger.ts';

/** Turns any thrown value into a SamlSpError (unknown errors become a 500 without internals). */
export function toSamlError(err: unknown): SamlSpError {
  if (isSamlSpError(err)) return err;
  return new SamlSpError('SAML_CONNECTION_INVALID', 'Internal error while processing the SAML message.', {
    hint: 'See the server log for the trace ID shown here.',
    status: 500,
    cause: err,
  });
}

/**
 * Answers a rejected request: JSON when the client accepts JSON, else an HTML page. Logs the details.
 * `pageOptions.title` names what failed on the HTML page (default "Sign-in failed").
 */
export function sendSamlError(
  req: Request,
  res: Response,
  err: unknown,
  logger: Logger,
  context: Record<string, unknown> = {},
  pageOptions: { title?: string } = {},
): void {
  const title = pageOptions.title ?? 'Sign-in failed';
  const error = toSamlError(err);
  const traceId = randomUUID();
  logger.warn('saml.rejected', {
    traceId,
    code: error.code,
    message: error.message,
    hint: error.hint,
    details: error.details,
    ...context,
    ...(error.status >= 500
      ? { cause: String(error.cause instanceof Error ? error.cause.stack : error.cause) }
      : {}),
  });
  res.status(error.status);
  res.setHeader('Cache-Control', 'no-store');
  const body = { error: { ...error.toJSON(), traceId } };
  if (req.accepts(['html', 'json']) === 'json') {
    res.json(body);
    return;
  }
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
}
