/**
 * CSRF protection for the admin page: a synchroniser token, one per admin session, carried by every form as
 * the hidden field `_csrf` and compared in constant time on every POST. The admin cookie is SameSite=Strict
 * as well, and a present Origin header must be our own; the token is what holds if either of those fails.
 */
import type { Request } from 'express';
import { AdminError } from '../../sp/admin-errors.ts';
import { type AdminSession, tokenMatches } from './auth.ts';

export const CSRF_FIELD = '_csrf';

/**
 * Throws ADMIN_CSRF_FAILED (403) unless the form carries this session's token and comes from our origin.
 *
 * @example
 * ```ts
 * checkCsrf(req, session, fields._csrf, 'https://app.example.com');
 * ```
 */
export function checkCsrf(req: Request, session: AdminSession, presented: unknown, baseUrl: string): void {
  const origin = req.get('origin');
  if (origin && origin !== 'null' && origin !== new URL(baseUrl).origin && origin !== requestOrigin(req)) {
    throw refused(`The form was posted from ${origin}.`);
  }
  if (typeof presented !== 'string' || !tokenMatches(presented, session.csrfToken)) {
    throw refused('The form carries no valid CSRF token.');
  }
}

function requestOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? ''}`;
}

function refused(message: string): AdminError {
  return new AdminError('ADMIN_CSRF_FAILED', message, {
    hint: 'Reload the admin page and submit the form again. Forms expire with the admin session.',
    status: 403,
  });
}
