/**
 * A Map whose entries expire, with a hard cap on its size. The request-ID store and the replay cache are
 * written by anonymous traffic (every `/login` adds a request ID), so they must stay bounded under a flood.
 *
 * No timers: expired entries are dropped when read, swept in one pass per n/2 writes once one has expired
 * (so the map stays near its live size under a steady load), and swept when the map reaches its cap. What
 * happens when the sweep frees nothing is the caller's choice ({@link WhenFull}):
 * - `'evict-oldest'` (default): the oldest entries (in insertion order) go until a tenth of the cap is free,
 *   so a flood costs one O(n) pass per n/10 writes rather than one per write;
 * - `'refuse'`: nothing live is dropped and {@link ExpiringMap.set} returns false. The next sweep waits until
 *   the earliest expiry seen by the last one, so a map that stays full costs O(1) per refused write.
 */
import { InvalidOptionError } from '../../core/errors.ts';

/** The default cap: about 100k entries of a few hundred bytes each stays in the tens of megabytes. */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** The amortised sweep never runs more often than once per this many writes. */
const SWEEP_MIN_WRITES = 1024;

interface Entry<V> {
  value: V;
  /** Epoch milliseconds; the entry is dead when `now >= expiresAt`. */
  expiresAt: number;
}

/** What a full map does with a new key: drop its oldest live entries, or refuse the new one. */
export type WhenFull = 'evict-oldest' | 'refuse';

export interface ExpiringMapOptions<V> {
  /** Hard cap on the number of entries (default {@link DEFAULT_MAX_ENTRIES}). */
  maxEntries?: number;
  /** Policy once the cap is reached and no entry has expired (default `'evict-oldest'`). */
  whenFull?: WhenFull;
  /** Called for every entry removed by expiry, eviction or `take`, so callers can keep side indexes right. */
  onRemove?: (key: string, value: V) => void;
}

/**
 * A capped, expiring key-value map. All operations are synchronous, so a `take` is atomic within the process.
 *
 * @example
 * ```ts
 * const seen = new ExpiringMap<true>({ maxEntries: 10_000 });
 * seen.set('id-1', true, new Date(Date.now() + 60_000), new Date());
 * seen.take('id-1', new Date()); // true, and gone
 * ```
 */
export class ExpiringMap<V> {
  readonly maxEntries: number;
  readonly whenFull: WhenFull;
  readonly #entries = new Map<string, Entry<V>>();
  readonly #onRemove: ((key: string, value: V) => void) | undefined;
  /** `'refuse'` only: no entry expires before this instant, so a sweep earlier would free nothing. */
  #nextExpiryAt = Number.NEGATIVE_INFINITY;
  #writesSinceSweep = 0;

  constructor(options: ExpiringMapOptions<V> = {}) {
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidOptionError(`maxEntries must be a positive integer, got ${String(max)}`);
    }
    this.maxEntries = max;
    this.whenFull = options.whenFull ?? 'evict-oldest';
    this.#onRemove = options.onRemove;
  }

  /** How many entries are held, expired ones included until they are swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** The live value for `key`, or undefined; an expired entry is removed on the way. */
  get(key: string, now: Date): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (now.getTime() >= entry.expiresAt) {
      this.#remove(key, entry);
      return undefined;
    }
    return entry.value;
  }

  /** Removes `key` and returns its value if it was live. */
  take(key: string, now: Date): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#remove(key, entry);
    return now.getTime() >= entry.expiresAt ? undefined : entry.value;
  }

  /**
   * Inserts or replaces `key`; makes room first when the map is at its cap. Returns false, and stores
   * nothing, only when the policy is `'refuse'` and every entry is still live.
   */
  set(key: string, value: V, expiresAt: Date, now: Date): boolean {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#remove(key, previous);
    } else if (this.#entries.size >= this.maxEntries && !this.#makeRoom(now)) {
      return false;
    }
    const at = expiresAt.getTime();
    this.#entries.set(key, { value, expiresAt: at });
    if (at < this.#nextExpiryAt) this.#nextExpiryAt = at;
    // Amortised sweep: one O(n) pass per n/2 writes, and only once something has expired. Without it a map
    // below its cap keeps every expired entry until the cap is reached (a replay cache that fills to its cap
    // with dead keys under a steady load); with it the map holds at most about 1.5x its live entries.
    if (++this.#writesSinceSweep >= Math.max(SWEEP_MIN_WRITES, this.#entries.size >> 1)) {
      this.#writesSinceSweep = 0;
      if (now.getTime() >= this.#nextExpiryAt) this.purgeExpired(now);
    }
    return true;
  }

  /** Removes every expired entry; returns how many. */
  purgeExpired(now: Date): number {
    const t = now.getTime();
    let removed = 0;
    let nextExpiryAt = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.#entries) {
      if (t >= entry.expiresAt) {
        this.#remove(key, entry);
        removed++;
      } else if (entry.expiresAt < nextExpiryAt) {
        nextExpiryAt = entry.expiresAt;
      }
    }
    this.#nextExpiryAt = nextExpiryAt;
    this.#writesSinceSweep = 0;
    return removed;
  }

  /** True when there is room for one more entry afterwards. */
  #makeRoom(now: Date): boolean {
    if (this.whenFull === 'refuse') {
      // `set` lowers `#nextExpiryAt` for every entry it adds, so no entry expires before it: a sweep any
      // earlier would free nothing.
      if (now.getTime() >= this.#nextExpiryAt) this.purgeExpired(now);
      return this.#entries.size < this.maxEntries;
    }
    this.purgeExpired(now);
    const target = this.maxEntries - Math.max(1, Math.floor(this.maxEntries / 10));
    if (this.#entries.size <= target) return true;
    // Still full of live entries: a flood. Drop the oldest, which are also the closest to expiring when
    // lifetimes are similar, so the least useful entries go first.
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= target) break;
      this.#remove(key, entry);
    }
    return true;
  }

  #remove(key: string, entry: Entry<V>): void {
    this.#entries.delete(key);
    this.#onRemove?.(key, entry.value);
  }
}
