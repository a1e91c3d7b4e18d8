/**
 * Trace IDs: short enough to read out over the phone to support, unambiguous when typed back. Ten Crockford
 * base32 characters (no I, L, O, U) in two groups of five: `K7QM4-XD2PA`, 50 random bits. Within a 7-day
 * retention even a million attempts a day collide with a chance of about 1 in 50,000; a collision only drops
 * the second trace (stores keep the first write), it never mixes two attempts.
 */
import { pooledRandomBytes } from '../core/crypto/random-pool.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new trace ID. */
export function newTraceId(): string {
  const bytes = pooledRandomBytes(10);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out += ALPHABET[bytes[i]! & 31];
    if (i === 4) out += '-';
  }
  return out;
}

const TRACE_ID = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

/**
 * The canonical form of a trace ID someone typed (lower case, O for 0, I or L for 1, no dash), or undefined
 * when it cannot be one.
 *
 * @example
 * ```ts
 * normalizeTraceId('k7qm4xd2pa'); // 'K7QM4-XD2PA'
 * ```
 */
export function normalizeTraceId(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const plain = input.trim().toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (plain.length !== 10) return undefined;
  const id = `${plain.slice(0, 5)}-${plain.slice(5)}`;
  return TRACE_ID.test(id) ? id : undefined;
}
