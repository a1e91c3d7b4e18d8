/**
 * The fuzzer's oracle: what one case may end in, and the totals of a run.
 *
 * A case passes when the validator either refuses with a SamlSpError whose code starts with `SAML_` and
 * whose HTTP status is a 4xx, or accepts and returns exactly the identity of the genuine signed message.
 * Any other exception is an escape (a 500 over HTTP); an accepted mutant of a message that must stay
 * refused, or one that returns another identity, is a forgery; a case slower than the budget is a
 * denial-of-service finding.
 */
import { SamlSpError } from '../../src/core/errors.ts';
import type { Expectation } from './seeds.ts';

/**
 * Per-case budget, in milliseconds of CPU time spent by this process during the call (user + system). CPU time,
 * not wall time, so that a CI machine shared with other jobs (load averages of 20 on 2 cores are common here)
 * does not turn scheduling delays into findings; wall time is reported beside it. A genuine message takes a
 * few ms; the budget is generous so that only real cost amplifiers cross it.
 */
export const DEFAULT_BUDGET_MS = 1_000;

export type Outcome =
  | { kind: 'refused'; code: string }
  | { kind: 'accepted'; identity: string }
  | { kind: 'escaped'; error: unknown };

export type Violation = 'escape' | 'forged' | 'over-budget';

export interface CaseResult {
  outcome: Outcome;
  /** Wall-clock milliseconds. */
  ms: number;
  /** CPU milliseconds of this process during the call: what the budget applies to. */
  cpuMs: number;
  violation?: Violation;
  detail?: string;
}

/** Stable JSON of an identity projection (Dates as ISO strings, keys in the order given). */
export function identityOf(value: unknown): string {
  return JSON.stringify(value);
}

/** Runs one validator call, timed, and classifies what came out. */
export async function runCase(
  call: () => unknown,
  project: (result: never) => unknown,
  expected: Expectation,
  budgetMs = DEFAULT_BUDGET_MS,
): Promise<CaseResult> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let outcome: Outcome;
  try {
    const result = await call();
    outcome = { kind: 'accepted', identity: identityOf(project(result as never)) };
  } catch (error) {
    outcome =
      error instanceof SamlSpError && error.code.startsWith('SAML_') && error.status < 500
        ? { kind: 'refused', code: error.code }
        : { kind: 'escaped', error };
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (outcome.kind === 'escaped')
    return { outcome, ms, cpuMs, violation: 'escape', detail: describe(outcome.error) };
  if (outcome.kind === 'accepted' && expected !== 'any' && outcome.identity !== expected) {
    return {
      outcome,
      ms,
      cpuMs,
      violation: 'forged',
      detail: `accepted ${outcome.identity}; the genuine message ${expected === null ? 'is refused' : `says ${expected}`}`,
    };
  }
  if (cpuMs > budgetMs) {
    const detail = `${cpuMs.toFixed(0)} ms of CPU (${ms.toFixed(0)} ms wall) > ${budgetMs} ms`;
    return { outcome, ms, cpuMs, violation: 'over-budget', detail };
  }
  return { outcome, ms, cpuMs };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}

/** Totals of one target over a run. */
export class TargetStats {
  cases = 0;
  accepted = 0;
  refusals = new Map<string, number>();
  violations = new Map<Violation, number>();
  firstViolations: string[] = [];
  private readonly times: number[] = [];
  private readonly cpuTimes: number[] = [];

  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  record(result: CaseResult, input?: string): void {
    this.cases++;
    this.times.push(result.ms);
    this.cpuTimes.push(result.cpuMs);
    if (result.outcome.kind === 'accepted') this.accepted++;
    if (result.outcome.kind === 'refused') {
      this.refusals.set(result.outcome.code, (this.refusals.get(result.outcome.code) ?? 0) + 1);
    }
    if (result.violation) {
      this.violations.set(result.violation, (this.violations.get(result.violation) ?? 0) + 1);
      if (this.firstViolations.length < 5) {
        this.firstViolations.push(
          `${result.violation}: ${result.detail}${input ? `\n  input: ${input}` : ''}`,
        );
      }
    }
  }

  /** A percentile of wall time (`'wall'`) or CPU time (`'cpu'`), in ms. */
  percentile(p: number, clock: 'wall' | 'cpu' = 'wall'): number {
    const times = clock === 'wall' ? this.times : this.cpuTimes;
    if (times.length === 0) return 0;
    const sorted = [...times].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }

  summary(): Record<string, unknown> {
    return {
      target: this.name,
      cases: this.cases,
      accepted: this.accepted,
      refused: Object.fromEntries([...this.refusals].sort((a, b) => b[1] - a[1])),
      escapes: this.violations.get('escape') ?? 0,
      forged: this.violations.get('forged') ?? 0,
      overBudget: this.violations.get('over-budget') ?? 0,
      p50Ms: round(this.percentile(50)),
      p99Ms: round(this.percentile(99)),
      maxMs: round(this.percentile(100)),
      cpuP99Ms: round(this.percentile(99, 'cpu')),
      cpuMaxMs: round(this.percentile(100, 'cpu')),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
