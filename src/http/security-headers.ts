/**
 * The headers every answer of the server carries, whatever route writes it: no MIME sniffing, no Referer
 * beyond this origin, no framing (clickjacking). One function, so that the Express middleware and the
 * server's sign-in fast path (src/http/sign-in-fast-path.ts) cannot drift apart.
 */
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** Sets the three security headers on `res` (before anything is written). */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
}

/**
 * Express middleware: {@link setSecurityHeaders} on every request. Mount it before the routes.
 *
 * @example
 * ```ts
 * app.use(securityHeaders());
 * ```
 */
export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    setSecurityHeaders(res);
    next();
  };
}
