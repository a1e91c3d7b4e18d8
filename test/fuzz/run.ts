/**
 * The long fuzz run: `npm run fuzz`. Runs every target for FUZZ_RUNS cases (default 2,000 each), prints the
 * totals per target (cases, refusals by code, accepted, escapes, forged identities, cases over budget,
 * p50/p99/max wall milliseconds, p99/max CPU milliseconds) and exits 1 on any violation, printing the first ones with the case that made them.
 *
 * Environment:
 *   FUZZ_RUNS       cases per target (default 2000)
 *   FUZZ_TARGETS    comma-separated subset of: response,response-resigned,logout,logout-resigned,metadata
 *   FUZZ_SEED       fast-check seed, to replay a run (default: random, printed)
 *   FUZZ_BUDGET_MS  per-case budget in ms of CPU time (default 1000; wall time is reported beside it)
 *   FUZZ_JSON       a file to write the totals to as JSON (also every FUZZ_PROGRESS_EVERY cases, default 1000)
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { DEFAULT_BUDGET_MS, TargetStats } from './oracle.ts';
import {
  type FuzzTarget,
  logoutTarget,
  metadataTarget,
  resignedLogoutTarget,
  resignedResponseTarget,
  responseTarget,
} from './targets.ts';

const runs = positive('FUZZ_RUNS', 2_000);
const budgetMs = positive('FUZZ_BUDGET_MS', DEFAULT_BUDGET_MS);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const wanted = (process.env.FUZZ_TARGETS ?? 'response,response-resigned,logout,logout-resigned,metadata')
  .split(',')
  .map((t) => t.trim())
  .filter(Boolean);

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    console.error(`${name} must be a positive integer, got ${raw}`);
    process.exit(2);
  }
  return value;
}

const factories: Record<string, () => Promise<FuzzTarget<unknown>>> = {
  response: responseTarget as () => Promise<FuzzTarget<unknown>>,
  'response-resigned': resignedResponseTarget as () => Promise<FuzzTarget<unknown>>,
  logout: logoutTarget as () => Promise<FuzzTarget<unknown>>,
  'logout-resigned': async () => resignedLogoutTarget() as FuzzTarget<unknown>,
  metadata: metadataTarget as () => Promise<FuzzTarget<unknown>>,
};
for (const name of wanted) {
  if (!factories[name]) {
    console.error(`Unknown FUZZ_TARGETS entry ${name}; known: ${Object.keys(factories).join(', ')}`);
    process.exit(2);
  }
}

console.log(
  `fuzz: ${runs} cases per target, budget ${budgetMs} ms, seed ${seed}, targets ${wanted.join(', ')}`,
);
const PROGRESS_EVERY = positive('FUZZ_PROGRESS_EVERY', 1_000);
const all: TargetStats[] = [];
let failed = false;
for (const name of wanted) {
  const target = await factories[name]!();
  const stats = new TargetStats(name);
  let skipped = 0;
  const started = performance.now();
  // fast-check draws the cases; the property records each verdict and goes on, so the totals cover every case
  // and every violation is listed with the case that produced it (replay: FUZZ_SEED and FUZZ_TARGETS).
  const details = await fc.check(
    fc.asyncProperty(target.arbitrary, async (c) => {
      const ran = await target.run(c, budgetMs);
      if (!ran) skipped++;
      else
        stats.record(ran.result, `${ran.input.slice(0, 600)}\n  case: ${JSON.stringify(c).slice(0, 1_500)}`);
      // A long run reports as it goes, so that an interrupted run still has its figures.
      if ((stats.cases + skipped) % PROGRESS_EVERY === 0) {
        console.log(`progress ${JSON.stringify({ ...stats.summary(), skipped })}`);
        writeTotals([...all, stats]);
      }
      return true;
    }),
    { numRuns: runs, seed },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(JSON.stringify({ ...stats.summary(), skipped, seconds }));
  if (details.failed) {
    // The harness itself threw (a mutation or a fixture builder): a bug in the fuzzer, not in the validator.
    failed = true;
    console.log(
      `  harness error: ${String(details.errorInstance)}\n  case: ${JSON.stringify(details.counterexample)}`,
    );
  }
  if (stats.firstViolations.length > 0) {
    failed = true;
    for (const v of stats.firstViolations) console.log(`  ${v}`);
  }
  all.push(stats);
}

const totals = writeTotals(all);
console.log(`total: ${JSON.stringify(totals)}`);
process.exit(failed ? 1 : 0);

function writeTotals(targets: readonly TargetStats[]) {
  const totals = {
    seed,
    cases: targets.reduce((n, s) => n + s.cases, 0),
    accepted: targets.reduce((n, s) => n + s.accepted, 0),
    escapes: targets.reduce((n, s) => n + (s.violations.get('escape') ?? 0), 0),
    forged: targets.reduce((n, s) => n + (s.violations.get('forged') ?? 0), 0),
    overBudget: targets.reduce((n, s) => n + (s.violations.get('over-budget') ?? 0), 0),
    maxMs: Math.max(0, ...targets.map((s) => s.percentile(100))),
    cpuMaxMs: Math.max(0, ...targets.map((s) => s.percentile(100, 'cpu'))),
  };
  if (process.env.FUZZ_JSON) {
    const summary = {
      totals,
      targets: targets.map((s) => s.summary()),
      violations: targets.flatMap((s) => s.firstViolations),
    };
    writeFileSync(process.env.FUZZ_JSON, JSON.stringify(summary, null, 2));
  }
  return totals;
}
