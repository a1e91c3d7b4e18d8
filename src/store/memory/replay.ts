/**
 * The replay cache, in process memory. Entries are only written for messages that already passed signature
 * checks, but one login storm with long-lived assertions (ADFS and Entra issue one-hour assertions) fills it
 * with millions of live keys, so two things are bounded:
 *
 * - **What one entry costs.** The key is stored as the SHA-256 of the caller's key (base64url, 43 characters,
 *   a flat string of its own), never the caller's string: an assertion ID read from a document is a V8 sliced
 *   string that keeps the whole canonical assertion (about 4 KB) alive for as long as the key lives. One live
 *   entry costs about 160 bytes of heap (`npm run bench:memory` prints the measured figure).
 * - **How many entries.** At the cap ({@link DEFAULT_MAX_REPLAY_ENTRIES}), expired entries are swept; if every
 *   entry is still live, the new message is **refused** with SAML_REPLAY_CACHE_FULL (503) rather than an old
 *   entry forgotten. Forgetting a live key silently re-opens that assertion to replay for the rest of its
 *   lifetime, which an attacker who captured it can use; refusing costs availability only, announces itself
 *   (503, a stable code, an error in the log), and ends as soon as the oldest entries expire. Size the cap
 *   above (sign-ins per second) x (assertion lifetime), or run on a database (the default), which keeps the
 *   replay record on disk.
 */
import { createHash } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import { SamlSpError } from '../../core/errors.ts';
import type { ReplayCache } from '../types.ts';
import { ExpiringMap } from './expiring-map.ts';
import type { MemoryCacheOptions } from './requests.ts';

/** Heap bytes one live entry costs, rounded up from `npm run bench:memory` (157 B on Node 24). */
const BYTES_PER_ENTRY = 160;

/**
 * The default cap: as many live entries as fit in an eighth of V8's heap limit (which counts the young
 * generation as well as the old space), at most one million (160 MB) and at least 10,000. Under
 * `--max-old-space-size=128` that is about 260,000 entries (42 MB); on a default 64-bit heap, one million. So
 * the cache refuses before it can exhaust the heap, whatever the heap size.
 */
export const DEFAULT_MAX_REPLAY_ENTRIES = Math.max(
  10_000,
  Math.min(1_000_000, Math.floor(getHeapStatistics().heap_size_limit / 8 / BYTES_PER_ENTRY)),
);

/**
 * The fixed-size form a replay key is kept in: SHA-256 of the UTF-8 key, base64url (always 43 characters,
 * a new flat string that retains nothing of `key`).
 *
 * @example
 * ```ts
 * replayDigest('assertion:acme:_8f2c…').length; // 43
 * ```
 */
export function replayDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

/**
 * An in-process {@link ReplayCache}. `remember` is atomic because the process runs it synchronously.
 *
 * @example
 * ```ts
 * const replay = new MemoryReplayCache({ maxEntries: 2_000_000 });
 * if (!(await replay.remember(assertionId, notOnOrAfter, new Date()))) throw new Error('replayed');
 * ```
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #keys: ExpiringMap<true>;

  constructor(options: MemoryCacheOptions = {}) {
    this.#keys = new ExpiringMap<true>({
      maxEntries: options.maxEntries ?? DEFAULT_MAX_REPLAY_ENTRIES,
      whenFull: 'refuse',
    });
  }

  /** Keys held, expired ones included until they are swept (for metrics and tests). */
  get size(): number {
    return this.#keys.size;
  }

  /** The cap on entries. */
  get maxEntries(): number {
    return this.#keys.maxEntries;
  }

  async remember(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    const digest = replayDigest(key);
    if (this.#keys.get(digest, now) !== undefined) return false;
    // A pure lookup (expiry at or before now) records nothing, so it never needs room.
    if (expiresAt.getTime() <= now.getTime()) return true;
    if (!this.#keys.set(digest, true, expiresAt, now)) throw replayCacheFull(this.#keys.maxEntries);
    return true;
  }
}

function replayCacheFull(maxEntries: number): SamlSpError {
  return new SamlSpError(
    'SAML_REPLAY_CACHE_FULL',
    `The replay cache holds ${maxEntries} live entries; this sign-in is refused rather than an older entry forgotten.`,
    {
      hint: 'Raise the in-memory replay cache cap (sign-ins per second x assertion lifetime), or run on a database (DATABASE_URL=sqlite:… or postgres://…), which keeps the replay record on disk. Sign-ins resume as the oldest entries expire.',
      status: 503,
      details: { maxEntries },
    },
  );
}
