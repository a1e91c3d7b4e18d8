/**
 * When to fetch a metadata URL again. The IdP's cacheDuration is honoured within sane bounds (a federation
 * asking for one minute should not be hammered, one asking for a month should not leave a rollover unseen);
 * validUntil pulls the next fetch earlier; failures retry with exponential backoff.
 */
import { parseXsDuration } from '../core/metadata/duration.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Tunables of the refresh schedule. */
export interface RefreshPolicy {
  /** Without a cacheDuration. Default 6 h. */
  defaultIntervalMs: number;
  /** Bounds for a cacheDuration. Default 5 min to 24 h. */
  minIntervalMs: number;
  maxIntervalMs: number;
  /** First retry after a failure, doubled per consecutive failure, capped at `maxRetryMs`. Default 1 min / 1 h. */
  firstRetryMs: number;
  maxRetryMs: number;
}

export const DEFAULT_REFRESH_POLICY: Readonly<RefreshPolicy> = Object.freeze({
  defaultIntervalMs: 6 * HOUR,
  minIntervalMs: 5 * MINUTE,
  maxIntervalMs: 24 * HOUR,
  firstRetryMs: MINUTE,
  maxRetryMs: HOUR,
});

/**
 * The next fetch after a success.
 *
 * @example
 * ```ts
 * nextRefreshAfterSuccess(now, { cacheDuration: 'PT1H' }); // now + 1 h
 * ```
 */
export function nextRefreshAfterSuccess(
  now: Date,
  metadata: { cacheDuration?: string | undefined; validUntil?: string | undefined },
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): Date {
  const requested = metadata.cacheDuration ? parseXsDuration(metadata.cacheDuration) : undefined;
  let interval =
    requested === undefined
      ? policy.defaultIntervalMs
      : Math.min(policy.maxIntervalMs, Math.max(policy.minIntervalMs, requested));
  if (metadata.validUntil) {
    // Fetch again well before the copy in hand expires.
    const half = (Date.parse(metadata.validUntil) - now.getTime()) / 2;
    if (Number.isFinite(half)) interval = Math.min(interval, Math.max(policy.minIntervalMs, half));
  }
  return new Date(now.getTime() + interval);
}

/**
 * The next attempt after `consecutiveFailures` failures in a row (1 for the first).
 *
 * @example
 * ```ts
 * nextRefreshAfterFailure(now, 3); // now + 4 min
 * ```
 */
export function nextRefreshAfterFailure(
  now: Date,
  consecutiveFailures: number,
  policy: RefreshPolicy = DEFAULT_REFRESH_POLICY,
): Date {
  const exponent = Math.min(Math.max(consecutiveFailures - 1, 0), 20);
  return new Date(now.getTime() + Math.min(policy.maxRetryMs, policy.firstRetryMs * 2 ** exponent));
}
