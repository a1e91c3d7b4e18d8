/**
 * Random tokens for cookies. The server stores only a SHA-256 of a session token, so a leaked database does
 * not hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';

/** 256 bits of randomness, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The storage key for a token. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Quick shape check so that junk cookies never reach the store. */
export function looksLikeToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
