/** Turning whatever an admin route throws into `{ error: { code, message, hint } }` and a status. */
import type { Request, Response } from 'express';
import { isSamlSpError } from '../../core/errors.ts';
import { AdminError, isAdminError } from '../../sp/admin-errors.ts';
import { type DescribedError, describeError } from '../error-response.ts';
import type { Logger } from '../logger.ts';

/**
 * The coded error behind any thrown value: a store outage is 503 STORE_UNAVAILABLE with a retry delay,
 * unknown errors become a 500 INTERNAL_ERROR without internals.
 */
export function toAdminError(err: unknown): DescribedError {
  if (isAdminError(err) || isSamlSpError(err)) {
    return { code: err.code, message: err.message, hint: err.hint, status: err.status, details: err.details };
  }
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.too.large') {
    return toAdminError(
      new AdminError('ADMIN_INVALID_REQUEST', 'The request body is too large.', {
        hint: 'Metadata documents are a few kilobytes; send the metadata URL for large aggregates.',
        status: 413,
      }),
    );
  }
  if (type === 'entity.parse.failed' || type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return toAdminError(
      new AdminError('ADMIN_INVALID_REQUEST', 'The request body is not valid JSON.', {
        hint: 'Send Content-Type: application/json with a JSON object.',
      }),
    );
  }
  return describeError(err);
}

/** Sends a JSON error answer and logs it (with the cause for 5xx). */
export function sendAdminJsonError(req: Request, res: Response, err: unknown, logger: Logger): void {
  const error = toAdminError(err);
  const log = error.status >= 500 ? logger.error : logger.warn;
  log('admin.refused', {
    method: req.method,
    path: req.originalUrl.split('?')[0],
    code: error.code,
    message: error.message,
    ...(error.status >= 500 ? { cause: err instanceof Error ? err.stack : String(err) } : {}),
  });
  res.status(error.status);
  res.setHeader('Cache-Control', 'no-store');
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.json({
    error: {
      code: error.code,
      message: error.message,
      hint: error.hint,
      ...(Object.keys(error.details).length ? { details: error.details } : {}),
    },
  });
}
