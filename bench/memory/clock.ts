/**
 * A fast clock for the memory benchmark, shared by the server process (loaded with `--import`) and the
 * client that mints responses: time runs BENCH_CLOCK_FACTOR times faster than real time from
 * BENCH_CLOCK_EPOCH on. One-hour assertions then expire after 3600 / factor real seconds, so the replay window
 * fills and turns over within one run. Nothing else about the server changes.
 */

const RealDate = Date;

/** The warped time in epoch milliseconds, for a factor and epoch. */
export function warpedNow(factor: number, epoch: number): number {
  return epoch + (RealDate.now() - epoch) * factor;
}

/** Replaces the global Date so that `new Date()` and `Date.now()` run on the warped clock. */
export function installWarpedClock(factor: number, epoch: number): void {
  class WarpedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(warpedNow(factor, epoch));
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return warpedNow(factor, epoch);
    }
  }
  globalThis.Date = WarpedDate as DateConstructor;
}

const factor = Number(process.env.BENCH_CLOCK_FACTOR ?? 1);
const epoch = Number(process.env.BENCH_CLOCK_EPOCH ?? 0);
if (process.env.BENCH_CLOCK_INSTALL === '1' && factor !== 1) installWarpedClock(factor, epoch);
