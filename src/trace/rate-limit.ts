/**
 * How many unverified attempts are traced per minute. A stranger can POST to an ACS as fast as the network
 * allows; without a budget those traces would fill the store and push the genuine ones out past the cap.
 * Fixed one-minute windows, per connection id and overall (ten connection budgets), in process memory: each
 * instance has its own budget, which bounds the store's growth per instance. Verified attempts are never
 * limited.
 */
export class UnverifiedTraceBudget {
  readonly #perConnection: number;
  readonly #overall: number;
  #windowStart = 0;
  #overallUsed = 0;
  readonly #used = new Map<string, number>();
  /** Attempts refused a trace in the current window (reported once per window). */
  dropped = 0;

  constructor(perMinute: number) {
    this.#perConnection = perMinute;
    this.#overall = perMinute * 10;
  }

  /** True when one more unverified attempt on `connectionId` may be traced at `now`. */
  take(connectionId: string, now: Date): boolean {
    const t = now.getTime();
    if (t - this.#windowStart >= 60_000) {
      this.#windowStart = t;
      this.#overallUsed = 0;
      this.#used.clear();
      this.dropped = 0;
    }
    const used = this.#used.get(connectionId) ?? 0;
    if (used >= this.#perConnection || this.#overallUsed >= this.#overall) {
      this.dropped += 1;
      return false;
    }
    // The map holds at most `overall` keys per window: every key here took one of the overall budget.
    this.#used.set(connectionId, used + 1);
    this.#overallUsed += 1;
    return true;
  }
}
