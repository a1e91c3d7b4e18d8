/**
 * A JSON answer written directly: `res.json` serialises, then `res.send` converts the text to a Buffer,
 * hashes it for an ETag and checks request freshness, and node:http writes headers and Buffer body as two
 * chunks. For an answer that is never cached (`Cache-Control: no-store`, like GET /me on every sign-in) none
 * of that is used: this writes the same status, Content-Type and body, as one string (issue #16).
 */
import type { Response } from 'express';

/**
 * Ends `res` with `value` as JSON (`application/json; charset=utf-8`), without an ETag. HEAD requests get the
 * headers only (node:http drops the body).
 *
 * @example
 * ```ts
 * res.setHeader('Cache-Control', 'no-store');
 * sendJsonNoStore(res, 200, { id: user.id });
 * ```
 */
export function sendJsonNoStore(res: Response, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
