/**
 * The pooled CSPRNG (src/core/crypto/random-pool.ts): identifiers are slices of a 4 KiB buffer filled by
 * randomFillSync. What must hold: no byte is handed out twice (across refills too), callers get copies, sizes
 * and encodings are exact, and the bytes look like a CSPRNG's (every byte value occurs, no long runs).
 */
import { describe, expect, it } from 'vitest';
import { pooledRandomBytes, pooledRandomString } from '../../../src/core/crypto/random-pool.ts';
import { newToken } from '../../../src/sp/tokens.ts';
import { newTraceId } from '../../../src/trace/trace-id.ts';

describe('pooled random bytes', () => {
  it('hands out the requested sizes and encodings', () => {
    expect(pooledRandomBytes(10)).toHaveLength(10);
    expect(pooledRandomString(32, 'base64url')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pooledRandomString(20, 'hex')).toMatch(/^[0-9a-f]{40}$/);
    // Larger than a pooled slice: drawn directly, same shape.
    expect(pooledRandomBytes(200)).toHaveLength(200);
    expect(pooledRandomString(100, 'hex')).toMatch(/^[0-9a-f]{200}$/);
  });

  it('never hands out the same bytes twice, across many refills', () => {
    // 20,000 x 32 bytes is 156 refills of the 4 KiB pool; sizes that do not divide 4096 leave tails behind.
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(pooledRandomString(i % 3 === 0 ? 32 : 13, 'hex'));
    expect(seen.size).toBe(20_000);
    // Fixed-size windows of the stream do not repeat either (a pool reused without refill would).
    const stream = Buffer.concat(Array.from({ length: 2_000 }, () => pooledRandomBytes(16)));
    const windows = new Set<string>();
    for (let at = 0; at + 16 <= stream.length; at += 16) windows.add(stream.toString('hex', at, at + 16));
    expect(windows.size).toBe(2_000);
  });

  it('returns copies: a kept buffer does not change when the pool is refilled', () => {
    const kept = pooledRandomBytes(32);
    const before = Buffer.from(kept);
    for (let i = 0; i < 1_000; i++) pooledRandomBytes(32); // several refills
    expect(kept.equals(before)).toBe(true);
  });

  it('looks uniform: every byte value occurs and no value dominates', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4_096; i++) for (const b of pooledRandomBytes(16)) counts[b]! += 1;
    // 65,536 bytes: 256 expected per value; a CSPRNG lands within ±40% with overwhelming probability.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(360);
  });

  it('feeds the identifiers built on it', () => {
    const tokens = new Set(Array.from({ length: 5_000 }, () => newToken()));
    expect(tokens.size).toBe(5_000);
    const traces = new Set(Array.from({ length: 5_000 }, () => newTraceId()));
    expect(traces.size).toBe(5_000);
    for (const id of traces) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });
});
