/**
 * Random tokens for cookies. The server stores only a SHA-256 of a session token, so a leaked database does
 * not hand out live sessions.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { pooledRandomString } from '../core/crypto/random-pool.ts';

/** 256 bits of randomness, base64url. */
export function newToken(): string {
  return pooledRandomString(32, 'base64url');
}

/** The storage key for a token. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Quick shape check so that junk cookies never reach the store. */
export function looksLikeToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * True when `presented` equals `configured`, compared in constant time over SHA-256 digests of both sides
 * (equal lengths, so timingSafeEqual never throws and the token's length does not leak).
 */
export function tokenMatches(presented: string | undefined, configured: string | undefined): boolean {
  if (!configured || presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(configured, 'utf8').digest();
  return timingSafeEqual(a, b);
}
