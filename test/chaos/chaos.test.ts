/**
 * Issue #11 item 7: the chaos test. Two instances of the real server (child processes) on one PostgreSQL and
 * one Redis, under a bounded sign-in load split across both, go through one fault after another:
 *   redis      Redis killed (SIGKILL, no persistence) and started again empty
 *   postgres   PostgreSQL stopped and started again
 *   kill       kill -9 of instance B, then B restarted
 *   metadata   the IdP's metadata URL dies; both instances are asked to refresh
 *   slow       slow clients trickle a request body at 1 byte/s
 * The scenario runs once (beforeAll); each rule it must keep is one test below, so a broken rule names
 * itself and does not hide the others. The figures are printed whatever the outcome.
 *
 * `npm run chaos` runs the long profile; `npm run chaos:short` (in .ci/run) the short one, under 3 minutes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unavailable } from '../helpers/db-servers.ts';
import { ADMIN_TOKEN, CONNECTION_ID, type Deployment, startDeployment } from './deployment.ts';
import { type Profile, profileFromEnv } from './profile.ts';
import { cutOffTimes } from './slow-clients.ts';
import {
  Balancer,
  type Exchange,
  mintAhead,
  probe,
  Recorder,
  replay,
  type SignInOutcome,
  sessionAlive,
  signIn,
  startLoad,
  type TrafficContext,
} from './traffic.ts';

const skip = unavailable('PostgreSQL') !== undefined || unavailable('Redis') !== undefined;
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Recovery the issue asks for: the first whole sign-in within 2 s of the store's return, on every instance. */
const RECOVERY_LIMIT_MS = 2_000;
/** Codes a sign-in may end with while a store is down (issue #11 item 1), besides success. */
const OUTAGE_CODE = 'STORE_UNAVAILABLE';
/**
 * A sign-in whose AuthnRequest was pending in Redis when Redis lost its data, or at an instance killed
 * mid-flight, fails as an unknown request: the documented answer for a request the SP no longer knows. A
 * PostgreSQL restart loses no pending request, so it excuses nothing of the kind.
 */
const CROSSED_FAULT_CODES: Record<string, ReadonlySet<string>> = {
  redis: new Set(['SAML_IN_RESPONSE_TO_UNKNOWN']),
  kill: new Set(['SAML_IN_RESPONSE_TO_UNKNOWN']),
};

/** Requests the test makes to check a rule (replays, old sessions, the refresh): not part of the load. */
const CHECKS = new Set(['replay', 'session', 'admin-refresh']);

interface Window {
  phase: string;
  faultAt: number;
  backAt: number;
  /** Until when errors are tolerated: the store's return plus the recovery limit. */
  settledAt: number;
}

interface Report {
  profile: Profile;
  startupMs: number;
  windows: Window[];
  recovery: Record<string, Record<string, number | null>>;
  sessionsChecked: Record<string, { alive: number; checked: number; statuses: Record<string, number> }>;
  replays: Record<string, { tried: number; accepted: number; codes: Record<string, number> }>;
  duplicates: { connection_id: string; name_id: string; n: number }[];
  users: number;
  distinctEmailsSignedIn: number;
  raced: { users: number; bothOk: number };
  restartMs: number | null;
  metadataRefresh: { instance: string; status: number; code?: string }[];
  slow: { limitMs: number; cutOffMs: (number | null)[] };
  wallMs: number;
}

const profile = profileFromEnv();
let deployment: Deployment | undefined;
let rec: Recorder;
let report: Report;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Probes each instance every 50 ms from `from` on (a login, a response minted ahead posted to the ACS, /me)
 * until one that started after `from` succeeds; resolves with the milliseconds from `from` to that success.
 */
async function probeRecovery(
  ctx: TrafficContext,
  from: number,
  deadlineMs: number,
  minted: Map<string, string[]>,
): Promise<Record<string, number | null>> {
  const result: Record<string, number | null> = {};
  await Promise.all(
    ctx.lb.instances.map(async (instance) => {
      result[instance.name] = null;
      const email = `probe-${instance.name}@chaos.test`;
      while (rec.now() - from < deadlineMs) {
        const samlResponse = minted.get(instance.name)?.pop() ?? (await mintAhead(ctx, email));
        const outcome = await probe(ctx, instance, samlResponse, email);
        rec.outcomes.push(outcome);
        if (outcome.ok && outcome.startedAt >= from) {
          result[instance.name] = outcome.endedAt - from;
          return;
        }
        await sleep(50);
      }
    }),
  );
  return result;
}

/** Probe responses for every instance, signed before the fault so that probing spends no time signing. */
async function mintProbes(ctx: TrafficContext): Promise<Map<string, string[]>> {
  const minted = new Map<string, string[]>();
  for (const instance of ctx.lb.instances) {
    const email = `probe-${instance.name}@chaos.test`;
    minted.set(instance.name, await Promise.all(Array.from({ length: 40 }, () => mintAhead(ctx, email))));
  }
  return minted;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function inParallel<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i] as T);
      }
    }),
  );
  return results;
}

async function checkSessions(ctx: TrafficContext, label: string, sample: SignInOutcome[]): Promise<void> {
  const statuses: Record<string, number> = {};
  const answers = await inParallel(sample, 4, (outcome) => sessionAlive(ctx, outcome.cookie ?? ''));
  for (const status of answers) statuses[status] = (statuses[status] ?? 0) + 1;
  report.sessionsChecked[label] = {
    alive: answers.filter((s) => s === 200).length,
    checked: sample.length,
    statuses,
  };
}

async function checkReplays(ctx: TrafficContext, label: string, sample: SignInOutcome[]): Promise<void> {
  const codes: Record<string, number> = {};
  // Only responses still inside their validity (5 min from issue): an expired one proves nothing.
  const fresh = sample.flatMap((o) =>
    o.accepted !== undefined && rec.now() - o.accepted.issuedAt < 240_000 ? [o.accepted] : [],
  );
  const results = await inParallel(fresh, 4, (accepted) => replay(ctx, accepted));
  results.forEach((result, i) => {
    const key = `${fresh[i]?.kind}:${result.status}:${result.code ?? '-'}`;
    codes[key] = (codes[key] ?? 0) + 1;
  });
  report.replays[label] = { tried: fresh.length, accepted: results.filter((r) => r.accepted).length, codes };
}

/**
 * A sample of the sign-ins that succeeded entirely after the last fault had settled (so that an earlier fault
 * cannot have taken their session or replay record), IdP-initiated ones first: no request ID guards them
 * against a replay.
 */
function sampleOk(limit: number): SignInOutcome[] {
  const since = report.windows.at(-1)?.settledAt ?? 0;
  const ok = rec.outcomes.filter((o) => o.ok && o.startedAt > since && !o.email.startsWith('probe-'));
  const idp = ok.filter((o) => o.kind === 'idp').slice(-limit);
  const sp = ok.filter((o) => o.kind === 'sp');
  const room = limit - idp.length;
  return [...idp, ...(room > 0 ? sp.slice(-room) : [])];
}

async function storeOutage(
  ctx: TrafficContext,
  phase: string,
  halt: () => Promise<void>,
  resume: () => Promise<void>,
): Promise<void> {
  rec.enter(phase);
  const minted = await mintProbes(ctx);
  await sleep(profile.beforeFaultMs);
  const sessionsBefore = sampleOk(Math.max(profile.sessionSample, profile.replaySample));
  const faultAt = rec.now();
  await halt();
  rec.mark(`${phase} down`);
  await sleep(profile.outageMs);
  await resume();
  const backAt = rec.now();
  rec.mark(`${phase} back`);
  report.windows.push({ phase, faultAt, backAt, settledAt: backAt + RECOVERY_LIMIT_MS });
  report.recovery[phase] = await probeRecovery(ctx, backAt, profile.recoveryDeadlineMs, minted);
  await sleep(profile.afterFaultMs);
  await checkSessions(ctx, `after ${phase}`, sessionsBefore);
  await checkReplays(ctx, `after ${phase}`, sessionsBefore);
}

describe.skipIf(skip)(`chaos (${profile.name} profile): two instances, PostgreSQL, Redis`, () => {
  beforeAll(async () => {
    const wall = performance.now();
    rec = new Recorder(REPO);
    report = {
      profile,
      startupMs: 0,
      windows: [],
      recovery: {},
      sessionsChecked: {},
      replays: {},
      duplicates: [],
      users: 0,
      distinctEmailsSignedIn: 0,
      raced: { users: 0, bothOk: 0 },
      restartMs: null,
      metadataRefresh: [],
      slow: { limitMs: profile.requestTimeoutMs, cutOffMs: [] },
      wallMs: 0,
    };
    deployment = await startDeployment({ requestTimeoutMs: profile.requestTimeoutMs });
    const d = deployment;
    report.startupMs = d.startupMs;
    const [a, b] = d.instances;
    const ctx: TrafficContext = { rec, lb: new Balancer(d.instances), baseUrl: d.baseUrl };
    const users = Array.from({ length: profile.users }, (_, i) => `user${i}@chaos.test`);
    try {
      // Baseline, and first sign-ins racing on both instances: one user each, whichever wins.
      rec.enter('baseline');
      const load = startLoad(ctx, profile.workers, users);
      const racers = Array.from({ length: profile.racedUsers }, (_, i) => `race${i}@chaos.test`);
      const raced = await Promise.all(
        racers.map((email) =>
          Promise.all(
            [a, b].map((pin) => signIn(ctx, email, { kind: 'idp', pin, accept: 'application/json' })),
          ),
        ),
      );
      rec.outcomes.push(...raced.flat());
      report.raced = { users: racers.length, bothOk: raced.filter((pair) => pair.every((o) => o.ok)).length };
      await sleep(profile.baselineMs);
      await checkReplays(ctx, 'baseline', sampleOk(profile.replaySample));

      await storeOutage(
        ctx,
        'redis',
        () => d.redis.kill(),
        () => d.redis.start(),
      );
      await storeOutage(
        ctx,
        'postgres',
        () => d.postgres.pause(),
        () => d.postgres.resume(),
      );

      // kill -9 of B: the balancer stops sending to it once it is dead (its health check), A carries on.
      rec.enter('kill');
      const minted = await mintProbes(ctx);
      await sleep(profile.beforeFaultMs);
      const sessionsBefore = sampleOk(profile.sessionSample);
      const faultAt = rec.now();
      await b.kill();
      await sleep(profile.outageMs);
      report.restartMs = await b.start();
      const backAt = rec.now();
      report.windows.push({ phase: 'kill', faultAt, backAt, settledAt: backAt + RECOVERY_LIMIT_MS });
      report.recovery.kill = await probeRecovery(ctx, backAt, profile.recoveryDeadlineMs, minted);
      await sleep(profile.afterFaultMs);
      await checkSessions(ctx, 'after kill', sessionsBefore);

      // The metadata URL dies: a refresh fails, sign-ins go on with the last good metadata.
      rec.enter('metadata');
      await d.metadata.kill();
      for (const instance of d.instances) {
        const response = await fetch(
          `${instance.origin}/admin/api/connections/${CONNECTION_ID}/metadata/refresh`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'application/json' },
          },
        );
        const body = await response.text();
        const exchange = rec.record(instance.name, 'admin-refresh', response.status, body, response.headers);
        report.metadataRefresh.push({
          instance: instance.name,
          status: response.status,
          ...(exchange.code === undefined ? {} : { code: exchange.code }),
        });
      }
      await sleep(profile.afterFaultMs);

      // Slow clients, while the load goes on.
      rec.enter('slow');
      report.slow.cutOffMs = await cutOffTimes(
        d.instances.map((i) => i.port),
        profile.slowClients,
        `/saml/${CONNECTION_ID}/acs`,
        profile.requestTimeoutMs + 3_000,
      );
      rec.enter('end');
      await load.stop();
      const last = sampleOk(Math.max(profile.sessionSample, profile.replaySample));
      await checkReplays(ctx, 'end', last);
      await checkSessions(ctx, 'end', last);

      const client = new pg.Client({ connectionString: d.databaseUrl });
      await client.connect();
      try {
        report.duplicates = (
          await client.query(
            'SELECT connection_id, name_id, count(*)::int AS n FROM users GROUP BY 1, 2 HAVING count(*) > 1',
          )
        ).rows;
        report.users = (await client.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
      } finally {
        await client.end();
      }
      report.distinctEmailsSignedIn = new Set(rec.outcomes.filter((o) => o.ok).map((o) => o.email)).size;
    } finally {
      report.wallMs = Math.round(performance.now() - wall);
      printFigures();
    }
  }, profile.scenarioTimeoutMs);

  afterAll(async () => {
    await deployment?.stop();
  });

  it('no 500: the only 5xx are 503 (an outage) and the documented 502 of a refresh from a dead metadata URL', () => {
    const bad = rec.exchanges.filter(
      (e) =>
        e.status >= 500 &&
        e.status !== 503 &&
        !(e.route === 'admin-refresh' && e.status === 502 && e.code === 'SAML_METADATA_INVALID'),
    );
    expect(shown(bad)).toEqual([]);
  });

  it('no stack trace and no server file path in any body', () => {
    expect(shown(rec.exchanges.filter((e) => e.leak))).toEqual([]);
  });

  it('during an outage only 503 STORE_UNAVAILABLE with Retry-After, or a documented refusal of a sign-in that crossed it', () => {
    const bad = rec.exchanges.filter((e) => {
      if (CHECKS.has(e.route) || e.status < 400) return false;
      const window = windowOf(e);
      if (window === undefined) return false; // judged by the next test
      // A store outage excuses a 503; a killed instance does not (the other one is whole).
      if (e.status === 503 && window.phase !== 'kill') {
        return !(e.code === OUTAGE_CODE && e.retryAfter !== undefined);
      }
      return !(e.code !== undefined && CROSSED_FAULT_CODES[window.phase]?.has(e.code));
    });
    const connectionErrors = rec.exchanges.filter(
      (e) => e.status === 0 && !(windowOf(e)?.phase === 'kill' && e.instance === 'B'),
    );
    expect(shown([...bad, ...connectionErrors])).toEqual([]);
  });

  it('outside the outages every sign-in succeeds (no error once a store is back for 2 s)', () => {
    const bad = rec.exchanges.filter(
      (e) => !CHECKS.has(e.route) && (e.status >= 400 || e.status === 0) && windowOf(e) === undefined,
    );
    expect(shown(bad)).toEqual([]);
  });

  it(`recovery: a whole sign-in on every instance within ${RECOVERY_LIMIT_MS} ms of a store's return, and after a restart`, () => {
    for (const phase of ['redis', 'postgres']) {
      for (const [instance, ms] of Object.entries(report.recovery[phase] ?? {})) {
        expect({ phase, instance, ms: ms ?? Number.POSITIVE_INFINITY }).toEqual({
          phase,
          instance,
          ms: expect.toSatisfy((v: number) => v <= RECOVERY_LIMIT_MS),
        });
      }
    }
    // A killed instance is a cold process when it comes back: it must serve again, in whatever time its
    // start takes on this machine (printed), within the probes' deadline.
    for (const [instance, ms] of Object.entries(report.recovery.kill ?? {})) {
      expect({ instance, served: ms !== null }).toEqual({ instance, served: true });
    }
  });

  it('while B is killed, A goes on signing users in', () => {
    const down = report.windows.find((w) => w.phase === 'kill');
    expect(down).toBeDefined();
    const during = rec.outcomes.filter(
      (o) => o.ok && down !== undefined && o.startedAt >= down.faultAt && o.endedAt <= down.backAt,
    );
    expect(during.length).toBeGreaterThan(0);
    expect(new Set(during.map((o) => o.instance))).toEqual(new Set(['A']));
  });

  it('no replayed assertion is accepted, before or after any fault; unsolicited ones are refused as SAML_REPLAYED', () => {
    const tried = Object.values(report.replays).reduce((n, r) => n + r.tried, 0);
    expect(tried).toBeGreaterThan(0);
    for (const [label, r] of Object.entries(report.replays)) {
      expect({ label, accepted: r.accepted }).toEqual({ label, accepted: 0 });
      const idpCodes = Object.keys(r.codes).filter((k) => k.startsWith('idp:'));
      for (const key of idpCodes)
        expect({ label, key }).toEqual({ label, key: expect.stringMatching(/^idp:400:SAML_REPLAYED$/) });
    }
  });

  it('no duplicate user, though first sign-ins raced on both instances', () => {
    expect(report.raced.users).toBeGreaterThan(0);
    expect(report.raced.bothOk).toBe(report.raced.users);
    expect(report.duplicates).toEqual([]);
    expect(report.users).toBeGreaterThanOrEqual(report.distinctEmailsSignedIn);
  });

  it('sessions as the README documents: they live in the database and survive a Redis restart, a PostgreSQL restart and a kill -9', () => {
    expect(Object.keys(report.sessionsChecked)).toEqual([
      'after redis',
      'after postgres',
      'after kill',
      'end',
    ]);
    for (const [label, s] of Object.entries(report.sessionsChecked)) {
      expect(s.checked, label).toBeGreaterThan(0);
      expect({ label, alive: s.alive }).toEqual({ label, alive: s.checked });
    }
  });

  it('a dead metadata URL: the refresh fails with SAML_METADATA_INVALID, sign-ins go on with the last good metadata', () => {
    expect(report.metadataRefresh.map((r) => [r.status, r.code])).toEqual([
      [502, 'SAML_METADATA_INVALID'],
      [502, 'SAML_METADATA_INVALID'],
    ]);
    const after = rec.outcomes.filter(
      (o) => o.startedAt > (phaseStart('metadata') ?? Number.POSITIVE_INFINITY),
    );
    expect(after.filter((o) => o.ok).length).toBeGreaterThan(0);
  });

  it('slow clients (1 byte/s) are cut off at the configured request timeout, and sign-ins go on meanwhile', () => {
    const limit = profile.requestTimeoutMs + 1_500;
    expect(report.slow.cutOffMs.length).toBe(profile.slowClients * 2);
    expect(report.slow.cutOffMs.filter((ms) => ms === null || ms > limit)).toEqual([]);
    const during = rec.outcomes.filter((o) => phaseOf(o.startedAt) === 'slow');
    expect(during.filter((o) => o.ok).length).toBeGreaterThan(0);
  });

  it('the load kept signing users in, on both instances', () => {
    for (const name of ['A', 'B']) {
      expect(rec.outcomes.filter((o) => o.ok && o.instance === name).length, name).toBeGreaterThan(0);
    }
  });
});

function windowOf(e: Exchange): Window | undefined {
  return report.windows.find((w) => e.at >= w.faultAt && e.at <= w.settledAt);
}

function phaseStart(phase: string): number | undefined {
  return rec.phases.find((p) => p.phase === phase)?.at;
}

function phaseOf(at: number): string {
  return rec.phaseAt(at);
}

/** At most 15 lines of offending exchanges, and how many there were in all. */
function shown(list: Exchange[]): string[] {
  const lines = list.slice(0, 15).map(show);
  return list.length > 15 ? [...lines, `… ${list.length} in all`] : lines;
}

function show(e: Exchange): string {
  return `${e.phase} +${e.at}ms ${e.instance} ${e.route} ${e.status} ${e.code ?? ''}${e.retryAfter ? ` retry-after=${e.retryAfter}` : ''}${e.sample ? ` body=${JSON.stringify(e.sample.slice(0, 160))}` : ''}`;
}

function printFigures(): void {
  const phases = [...new Set(rec.exchanges.map((e) => e.phase))];
  const lines = [
    `chaos figures (${profile.name} profile, ${report.wallMs} ms wall, deployment up in ${report.startupMs} ms)`,
  ];
  const total = rec.outcomes.filter((o) => o.ok).length;
  lines.push(
    `  requests: ${rec.exchanges.length}; sign-ins: ${rec.outcomes.length} started, ${total} completed`,
  );
  for (const phase of phases) {
    const exchanges = rec.exchanges.filter((e) => e.phase === phase);
    const span = Math.max(1, (exchanges.at(-1)?.at ?? 0) - (exchanges[0]?.at ?? 0));
    const ok = rec.outcomes.filter((o) => o.ok && phaseOf(o.endedAt) === phase).length;
    const codes: Record<string, number> = {};
    for (const e of exchanges) {
      const key = `${e.status === 0 ? 'conn-error' : e.status}${e.code ? ` ${e.code}` : ''}`;
      codes[key] = (codes[key] ?? 0) + 1;
    }
    const seen = Object.entries(codes)
      .sort((x, y) => y[1] - x[1])
      .map(([k, n]) => `${k}×${n}`)
      .join(', ');
    lines.push(
      `  ${phase.padEnd(9)} ${exchanges.length} requests, ${((ok * 1000) / span).toFixed(1)} sign-ins/s; ${seen}`,
    );
  }
  for (const [phase, r] of Object.entries(report.recovery)) {
    lines.push(
      `  recovery after ${phase}: ${Object.entries(r)
        .map(([i, ms]) => `${i} ${ms === null ? 'none' : `${ms} ms`}`)
        .join(', ')}`,
    );
  }
  for (const w of report.windows)
    lines.push(`  ${w.phase} outage: ${w.backAt - w.faultAt} ms (fault at +${w.faultAt} ms)`);
  if (report.restartMs !== null) lines.push(`  instance B restarted in ${report.restartMs} ms`);
  for (const [label, s] of Object.entries(report.sessionsChecked)) {
    lines.push(`  sessions ${label}: ${s.alive}/${s.checked} alive ${JSON.stringify(s.statuses)}`);
  }
  for (const [label, r] of Object.entries(report.replays)) {
    lines.push(`  replays ${label}: ${r.accepted}/${r.tried} accepted ${JSON.stringify(r.codes)}`);
  }
  lines.push(
    `  users: ${report.users} rows, ${report.distinctEmailsSignedIn} distinct signed in, duplicates ${report.duplicates.length}; raced first sign-ins ${report.raced.bothOk}/${report.raced.users} both ok`,
  );
  lines.push(
    `  metadata refresh with a dead URL: ${report.metadataRefresh.map((r) => `${r.instance} ${r.status} ${r.code ?? ''}`).join(', ')}`,
  );
  const cut = report.slow.cutOffMs;
  const closed = cut.filter((ms): ms is number => ms !== null);
  lines.push(
    `  slow clients: ${closed.length}/${cut.length} cut off (limit ${report.slow.limitMs} ms), after ${closed.length ? `${Math.min(...closed)}-${Math.max(...closed)} ms` : '-'}`,
  );
  console.info(lines.join('\n'));
}
