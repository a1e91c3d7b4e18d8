/**
 * Random bytes for identifiers (tokens, trace IDs, event IDs) drawn from a pooled CSPRNG buffer.
 *
 * `crypto.randomBytes(32)` costs about 2 µs, nearly all of it the call into OpenSSL and a new Buffer: a sign-in
 * draws five to eight identifiers, and `randomFillSync` showed as 1.5-1.9% of the server's CPU in `bench:http`
 * (issue #16). Here one `randomFillSync` fills 4 KiB and the identifiers take consecutive slices of it (about
 * 0.1 µs each), as `crypto.randomUUID` already does internally. The bytes are the same CSPRNG's; each byte is
 * handed out once (the cursor only moves forward, the pool is refilled in full when the next slice would not
 * fit), so every identifier keeps its full entropy. Slices are copied or encoded before they are returned:
 * no caller holds a view into the pool.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
/** Larger requests bypass the pool: they are rare (keys, secrets) and would drain it. */
const LARGEST_POOLED = 64;

const pool = Buffer.alloc(POOL_BYTES);
let cursor = POOL_BYTES; // empty: filled on first use

/** The start of `size` fresh bytes in the pool, moving the cursor past them. */
function reserve(size: number): number {
  if (cursor + size > POOL_BYTES) {
    randomFillSync(pool);
    cursor = 0;
  }
  const start = cursor;
  cursor += size;
  return start;
}

/**
 * `size` random bytes as a new Buffer (a copy: the caller may keep it).
 *
 * @example
 * ```ts
 * const bytes = pooledRandomBytes(10); // <Buffer 9f 03 ...>
 * ```
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > LARGEST_POOLED) return randomBytes(size);
  const start = reserve(size);
  return Buffer.from(pool.subarray(start, start + size));
}

/**
 * `size` random bytes encoded as a string (`base64url` or `hex`), without an intermediate Buffer.
 *
 * @example
 * ```ts
 * const token = pooledRandomString(32, 'base64url'); // 43 characters, 256 bits
 * ```
 */
export function pooledRandomString(size: number, encoding: 'base64url' | 'hex'): string {
  if (size > LARGEST_POOLED) return randomBytes(size).toString(encoding);
  const start = reserve(size);
  return pool.toString(encoding, start, start + size);
}
