/**
 * When a failed webhook delivery is tried again: exponential backoff with jitter, capped, until the message
 * is older than a maximum age, after which it is given up (and the next message of its connection may go).
 */

export interface RetryPolicy {
  /** Wait after the first failure. Default 5 s. */
  baseMs: number;
  /** Longest wait between two attempts. Default 1 h. */
  maxDelayMs: number;
  /** A message this old (since the event) is given up after a failed attempt. Default 3 days. */
  maxAgeMs: number;
  /** Spread of each wait, as a fraction either side (0.2: ±20 %), so retries of many messages do not align. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseMs: 5_000,
  maxDelayMs: 3_600_000,
  maxAgeMs: 3 * 24 * 3_600_000,
  jitter: 0.2,
});

/** Checks a partial policy and fills in the defaults; a TypeError names a bad value. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...partial };
  if (!(policy.baseMs > 0) || !(policy.maxDelayMs >= policy.baseMs) || !(policy.maxAgeMs > 0)) {
    throw new TypeError('RetryPolicy: baseMs must be positive, maxDelayMs >= baseMs and maxAgeMs positive.');
  }
  if (!(policy.jitter >= 0 && policy.jitter < 1))
    throw new TypeError('RetryPolicy: jitter must be in [0, 1).');
  return policy;
}

/**
 * The wait after failed attempt number `attempt` (1 for the first): base · 2^(attempt−1), capped, ± jitter.
 *
 * @example
 * ```ts
 * retryDelay(3, DEFAULT_RETRY_POLICY, () => 0.5); // 20_000
 * ```
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.max(0, Math.round(capped * (1 + policy.jitter * (random() * 2 - 1))));
}
