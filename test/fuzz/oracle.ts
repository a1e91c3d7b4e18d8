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

/** Per-case time budget. Generous for a shared 2-core CI machine; a genuine message takes a few ms. */
export const DEFAULT_BUDGET_MS = 1_000;

export type Outcome =
  | { kind: 'refused'; code: string }
  | { kind: 'accepted'; identity: string }
  | { kind: 'escaped'; error: unknown };

export type Violation = 'escape' | 'forged' | 'over-budget';

export interface CaseResult {
  outcome: Outcome;
  ms: number;
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
  if (outcome.kind === 'escaped')
    return { outcome, ms, violation: 'escape', detail: describe(outcome.error) };
  if (outcome.kind === 'accepted' && expected !== 'any' && outcome.identity !== expected) {
    return {
      outcome,
      ms,
      violation: 'forged',
      detail: `accepted ${outcome.identity}; the genuine message ${expected === null ? 'is refused' : `says ${expected}`}`,
    };
  }
  if (ms > budgetMs)
    return { outcome, ms, violation: 'over-budget', detail: `${ms.toFixed(0)} ms > ${budgetMs} ms` };
  return { outcome, ms };
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

  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  record(result: CaseResult, input?: string): void {
    this.cases++;
    this.times.push(result.ms);
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

  percentile(p: number): number {
    if (this.times.length === 0) return 0;
    const sorted = [...this.times].sort((a, b) => a - b);
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
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
