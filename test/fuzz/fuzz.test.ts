/**
 * The bounded fuzz run of `npm test` (issue #9, item 10): a few hundred structure-aware mutants of genuine
 * responses, logout messages and metadata per run, each of which must end as a coded refusal or as exactly
 * the identity of the genuine signed message, within the time budget. The long run is `npm run fuzz`
 * (test/fuzz/run.ts). fast-check prints the seed and path of a failure: replay it with
 * `fc.configureGlobal({ seed, path })` or FUZZ_SEED on the long run.
 */
import { test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { SamlSpError } from '../../src/core/errors.ts';
import { applyPlan, type MutationPlan } from './mutate.ts';
import { type CaseResult, runCase, TargetStats } from './oracle.ts';
import {
  type FuzzTarget,
  logoutTarget,
  metadataTarget,
  resignedLogoutTarget,
  resignedResponseTarget,
  responseTarget,
} from './targets.ts';

const response = await responseTarget();
const logout = await logoutTarget();
const metadata = await metadataTarget();
const resignedResponse = await resignedResponseTarget();
const resignedLogout = resignedLogoutTarget();

const stats = new Map<string, TargetStats>();
function statsOf(name: string): TargetStats {
  const s = stats.get(name) ?? new TargetStats(name);
  stats.set(name, s);
  return s;
}

/** One property per target: every case passes the oracle. */
function fuzz<C>(target: FuzzTarget<C>, numRuns: number): void {
  test.prop([target.arbitrary], { numRuns })(
    `${target.name}: ${numRuns} mutants end as a coded refusal or the genuine identity, within budget`,
    async (c) => {
      const ran = await target.run(c);
      if (!ran) return;
      statsOf(target.name).record(ran.result);
      expect(ran.result.violation, ran.result.detail).toBeUndefined();
    },
    // Shrinking a slow counterexample takes many slow runs.
    300_000,
  );
}

describe('the seeds', () => {
  // If the genuine seeds were refused, "exactly the genuine identity" would hold vacuously.
  it('genuine responses are accepted and the refused ones refused', () => {
    const accepted = response.seeds.filter((_, i) => response.expected[i] !== null).map((s) => s.name);
    expect(accepted).toEqual([
      'assertion-signed',
      'response-signed',
      'both-signed',
      'encrypted',
      'unsolicited-allowed',
    ]);
  });

  it('genuine logout messages are accepted on every binding, the rogue and unsigned ones refused', () => {
    const accepted = logout.seeds.filter((_, i) => logout.expected[i] !== null).map((s) => s.name);
    expect(accepted).toEqual([
      'request-post',
      'request-soap',
      'request-redirect',
      'response-post',
      'response-redirect',
    ]);
  });

  it('the pinned signed metadata is read, the wrongly pinned one refused', () => {
    expect(metadata.expected[0]).toContain('"entityId":"http://adfs.example.com/adfs/services/trust"');
    expect(metadata.expected[1]).toBeNull();
  });
});

describe('the oracle', () => {
  // The property must be able to fail: each kind of violation is recognised.
  const genuine = JSON.stringify({ nameId: 'alice@example.com' });
  const verdict = (call: () => unknown): Promise<CaseResult> => runCase(call, (r) => r, genuine, 50);

  it('passes a coded refusal and the genuine identity', async () => {
    expect(
      (await verdict(() => Promise.reject(new SamlSpError('SAML_MALFORMED', 'x')))).violation,
    ).toBeUndefined();
    expect((await verdict(() => ({ nameId: 'alice@example.com' }))).violation).toBeUndefined();
  });

  it('flags an escape, a 5xx refusal, another identity and a case over the CPU budget', async () => {
    expect((await verdict(() => JSON.parse('<'))).violation).toBe('escape');
    const connection = new SamlSpError('SAML_CONNECTION_INVALID', 'x', { status: 500 });
    expect((await verdict(() => Promise.reject(connection))).violation).toBe('escape');
    expect((await verdict(() => ({ nameId: 'evil@attacker.example' }))).violation).toBe('forged');
    // Burns 80 ms of CPU (the budget counts CPU time, not waiting).
    const slow = () => {
      const start = process.cpuUsage();
      while (process.cpuUsage(start).user < 80_000);
      return { nameId: 'alice@example.com' };
    };
    expect((await verdict(slow)).violation).toBe('over-budget');
  });

  it('mutates: a plan changes the document', () => {
    const plan: MutationPlan = { dom: [{ op: 'wrapSigned', variant: 0, keepId: true, keepSignature: true }] };
    const mutant = applyPlan(response.seeds[0]!.xml, plan);
    expect(mutant).not.toBe(response.seeds[0]!.xml);
    expect(mutant).toContain('evil@attacker.example');
  });
});

describe('fuzz', () => {
  fuzz(response, 250);
  fuzz(logout, 250);
  fuzz(metadata, 120);
  fuzz(resignedResponse, 40);
  fuzz(resignedLogout, 60);

  afterAll(() => {
    // The figures of this run, for the CI log.
    for (const s of stats.values()) console.log(JSON.stringify(s.summary()));
  });

  it('the mutants reach many different checks', () => {
    // Runs after the properties above (vitest keeps declaration order): a fuzzer whose mutants all died in
    // the parser, or were all accepted, would prove nothing.
    const r = statsOf('response');
    expect(r.cases).toBeGreaterThan(0);
    expect(r.refusals.size).toBeGreaterThanOrEqual(6);
    expect(r.accepted).toBeGreaterThan(0);
  });
});
