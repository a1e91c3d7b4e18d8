/**
 * The replay cache, in process memory. Entries are only written for assertions that already passed signature
 * checks, but a busy deployment still must not grow without limit: the cache is capped (see
 * {@link ExpiringMap}). Evicting a live key re-opens that message to replay for the rest of its lifetime, so
 * keep the cap above (logins per assertion lifetime); the oldest keys, closest to expiring, go first.
 */
import type { ReplayCache } from '../types.ts';
import { ExpiringMap } from './expiring-map.ts';
import type { MemoryCacheOptions } from './requests.ts';

/**
 * An in-process {@link ReplayCache}. `remember` is atomic because the process runs it synchronously.
 *
 * @example
 * ```ts
 * const replay = new MemoryReplayCache();
 * if (!(await replay.remember(assertionId, notOnOrAfter, new Date()))) throw new Error('replayed');
 * ```
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #keys: ExpiringMap<true>;

  constructor(options: MemoryCacheOptions = {}) {
    this.#keys = new ExpiringMap<true>(
      options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries },
    );
  }

  /** Keys held, expired ones included until swept (for metrics and tests). */
  get size(): number {
    return this.#keys.size;
  }

  async remember(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    if (this.#keys.get(key, now) !== undefined) return false;
    this.#keys.set(key, true, expiresAt, now);
    return true;
  }
}
