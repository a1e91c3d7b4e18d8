/**
 * Client secrets of the bridge's relying parties: 256 random bits, shown once, stored as SHA-256. A fast hash
 * is right for a secret with this much entropy (nothing to brute-force); a password KDF would only slow the
 * token endpoint down.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(presented: unknown, storedHash: string | undefined): boolean {
  if (typeof presented !== 'string' || storedHash === undefined) return false;
  const a = Buffer.from(hashClientSecret(presented));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
