/**
 * `npm run bench:http`: complete sign-ins over HTTP, the product against the most common real-world SP.
 *
 * One sign-in is what a browser does: GET the login route (a pending request, the IdP redirect) -> the IdP's
 * answer to that request POSTed to the ACS (validation, replay, user, session cookie) -> GET /me with the
 * session cookie. Contenders, each a server in a child process pinned to one core (`taskset -c`,
 * BENCH_SERVER_CPU, default 1), this load generator pinned to another (BENCH_CLIENT_CPU, default 0):
 *   - product: `saml-sp serve` on its defaults (SQLite, in-process caches), one connection;
 *   - passport-saml: a plain Express app on @node-saml/passport-saml with express-session (bench/http/passport-app.ts);
 *   - null SP: the same three answers with no SAML work at all (bench/http/null-sp.ts). Not an SP: it measures
 *     the rig, the most sign-ins/s this load generator (four browsers and the IdP's RSA-2048 signature, on one
 *     core) can drive. No contender can go faster; a target above it cannot be measured on this machine.
 * The SPs trust the same IdP (bench/memory/mint.ts, RSA-2048, assertion-signed, 5-minute assertions).
 *
 * Rounds are interleaved (round 1: every concurrency, each contender in turn; round 2 ...) so that a burst of
 * load from another process hurts both alike. Prints, per contender and concurrency: sign-ins/s, p50 and p99
 * of a complete sign-in, and the server's CPU per sign-in (utime + stime of its /proc/<pid>/stat, every
 * thread, before/after each cell) and this load generator's (process.cpuUsage: near 1 ms per ms of the cell, the
 * load generator, not the server, is the limit); then the product's ratio to passport-saml, and at concurrency
 * 4 how busy the product's server was and the most a closed loop of four clients over the two measured CPU
 * costs allows (mean value analysis: at concurrency 4 neither core is kept busy). Any failed sign-in is counted,
 * printed, and makes the exit code 1.
 *
 * Options (environment): BENCH_CONCURRENCY ("1,4,16"), BENCH_ROUNDS (3), BENCH_SECONDS per cell (4),
 * BENCH_WARMUP_SECONDS per contender before the rounds (8),
 * BENCH_TARGETS ("product,passport,null"), BENCH_SERVER_CPU ("1"), BENCH_CLIENT_CPU ("0"; "" to not pin),
 * BENCH_HTTP_CLIENT ("lean", the load generator's own HTTP/1.1 client, or "node": node:http; bench/lib/client.ts),
 * BENCH_SERVER_ROOT (another checkout's product server instead of this one), BENCH_BASELINE_ROOT (another
 * checkout's product server as a third contender, "baseline": before/after as a ratio in one run),
 * BENCH_BASELINE_ENV (settings for the baseline only: `BENCH_BASELINE_ROOT=. BENCH_BASELINE_ENV=HTTP_FAST_PATH=off`
 * measures the sign-in fast path against plain Express), BENCH_CPU_PROF (a
 * directory: the product server writes a V8 CPU profile there when it stops).
 * `npm run bench:http -- --memory` then runs bench:memory (RSS after 100,000 sign-ins, bytes per live replay
 * entry): the memory line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/server.ts';
import { type BenchChild, cpuMsOf, productServerEnv, startChild } from './lib/child.ts';
import {
  authnRequestIdOf,
  type BenchClient,
  benchClient,
  benchClientKind,
  firstCookie,
  productSignIn,
} from './lib/client.ts';
import { type BenchIdp, createBenchIdp } from './memory/mint.ts';

const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const TARGETS = (process.env.BENCH_TARGETS ?? 'product,passport,null').split(',');
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const CLIENT_CPU = process.env.BENCH_CLIENT_CPU ?? '0';
const CPU_PROF = process.env.BENCH_CPU_PROF;
const LIFETIME_SECONDS = 300;
const USERS = 1_000;
/**
 * Each contender first runs alone for this long (BENCH_WARMUP_SECONDS, default 8): V8 tiers the hot code up
 * (Sparkplug, Maglev, TurboFan) over the first few thousand requests, and the product's first 1,000 sign-ins
 * create users instead of finding them. Measured on this machine with 400 warm-up sign-ins: the first round
 * at c=4 ran at 554/s and 1.48 ms of server CPU per sign-in, the next two at 887/s, 0.94 ms and 794/s, 1.03 ms.
 * A login storm meets a server that has been up for hours: the rounds measure that steady state.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 8);
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const ROOT = path.resolve(import.meta.dirname, '..');
const SERVER_ROOT = path.resolve(process.env.BENCH_SERVER_ROOT ?? ROOT);
/** Another checkout's product server as a third contender in the same run ("baseline"): before/after as a ratio. */
const BASELINE_ROOT = process.env.BENCH_BASELINE_ROOT
  ? path.resolve(process.env.BENCH_BASELINE_ROOT)
  : undefined;
/**
 * Settings for the baseline server only, `NAME=value` separated by commas: with BENCH_BASELINE_ROOT=. this
 * compares two settings of one checkout (HTTP_FAST_PATH=off: the sign-in fast path against plain Express).
 */
const BASELINE_ENV: Record<string, string> = Object.fromEntries(
  (process.env.BENCH_BASELINE_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);

interface Contender {
  name: string;
  server: BenchChild;
  /** One complete sign-in; throws with the step and status on any unexpected answer. */
  signIn(client: BenchClient, n: number): Promise<void>;
}

interface Cell {
  signIns: number;
  failures: number;
  seconds: number;
  cpuMs: number;
  /** This load generator's CPU (user + system) over the cell: near one core's worth, it is the limit, not the server. */
  clientCpuMs: number;
  latencies: number[];
}

async function main(): Promise<void> {
  if (CLIENT_CPU) pin(process.pid, CLIENT_CPU);
  console.log(
    `node ${process.version}; server on cpu ${SERVER_CPU}, load generator on cpu ${CLIENT_CPU || '(any)'}; ` +
      `${ROUNDS} interleaved rounds of ${SECONDS} s per contender and concurrency; ` +
      `HTTP client ${benchClientKind()}` +
      (SERVER_ROOT === ROOT ? '' : `; product server from ${SERVER_ROOT}`),
  );
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores, shared)`,
  );
  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-bench-http-'));
  const idp = await createBenchIdp(
    'https://idp.bench.example/metadata',
    'https://idp.bench.example/sso',
    'rsa',
  );
  const contenders: Contender[] = [];
  const cells = new Map<string, Cell>();
  /** Each round's cell, by contender and concurrency: the contenders of one round ran minutes apart at most. */
  const perRound = new Map<string, Cell[]>();
  let failures = 0;
  let firstFailure = '';
  try {
    if (TARGETS.includes('product')) contenders.push(await startProduct(dir, idp, SERVER_ROOT, 'product'));
    if (BASELINE_ROOT) contenders.push(await startProduct(dir, idp, BASELINE_ROOT, 'baseline'));
    if (TARGETS.includes('passport')) contenders.push(await startPassport(dir, idp));
    if (TARGETS.includes('null')) contenders.push(await startNullSp(dir, idp));
    for (const contender of contenders) {
      const warm = await runCell(contender, 4, { seconds: WARMUP_SECONDS });
      failures += warm.failures;
      firstFailure ||= warm.firstFailure;
    }
    console.log(
      '\nround  contender        conc   sign-ins/s   p50 ms   p99 ms   server CPU ms/sign-in   client CPU ms/sign-in',
    );
    for (let round = 1; round <= ROUNDS; round++) {
      for (const concurrency of CONCURRENCIES) {
        // Alternate who goes first, so neither always runs right after the other's garbage collection.
        const order = round % 2 === 1 ? contenders : [...contenders].reverse();
        for (const contender of order) {
          const cell = await runCell(contender, concurrency, { seconds: SECONDS });
          failures += cell.failures;
          firstFailure ||= cell.firstFailure;
          const key = `${contender.name}|${concurrency}`;
          const sum = cells.get(key) ?? {
            signIns: 0,
            failures: 0,
            seconds: 0,
            cpuMs: 0,
            clientCpuMs: 0,
            latencies: [],
          };
          sum.signIns += cell.signIns;
          sum.failures += cell.failures;
          sum.seconds += cell.seconds;
          sum.cpuMs += cell.cpuMs;
          sum.clientCpuMs += cell.clientCpuMs;
          sum.latencies.push(...cell.latencies);
          cells.set(key, sum);
          perRound.set(key, [...(perRound.get(key) ?? []), cell]);
          console.log(line(String(round), contender.name, concurrency, cell));
        }
      }
    }
    for (const contender of contenders) {
      const exit = contender.server.exitCode();
      if (exit !== undefined) {
        failures++;
        console.log(`SERVER ${contender.name} DIED (exit ${exit}): ${contender.server.tail()}`);
      }
    }
  } finally {
    await Promise.all(contenders.map((c) => c.server.stop()));
    await rm(dir, { recursive: true, force: true });
  }

  console.log(
    '\nall rounds  contender        conc   sign-ins/s   p50 ms   p99 ms   server CPU ms/sign-in   client CPU ms/sign-in',
  );
  for (const concurrency of CONCURRENCIES) {
    for (const contender of contenders) {
      const cell = cells.get(`${contender.name}|${concurrency}`);
      if (cell) console.log(line('all', contender.name, concurrency, cell));
    }
  }
  const product = (c: number) => cells.get(`product|${c}`);
  const passport = (c: number) => cells.get(`passport-saml|${c}`);
  const ratios = (title: string, other: string, digits: number) =>
    printRatios(title, digits, (c) => ({
      a: product(c),
      b: cells.get(`${other}|${c}`),
      rounds: pairUp(perRound.get(`product|${c}`), perRound.get(`${other}|${c}`)),
    }));
  if (BASELINE_ROOT) ratios(`product vs baseline (${BASELINE_ROOT})`, 'baseline', 2);
  if (product(CONCURRENCIES[0] ?? 1) && passport(CONCURRENCIES[0] ?? 1)) {
    ratios('product vs passport-saml', 'passport-saml', 1);
  }
  const ceiling = (c: number) => cells.get(`null SP|${c}`);
  for (const c of CONCURRENCIES) {
    const rig = ceiling(c);
    if (!rig) continue;
    console.log(
      `\nload generator ceiling at concurrency ${c} (null SP, no SAML work): ${rate(rig).toFixed(0)} sign-ins/s, ` +
        `load generator ${(rig.clientCpuMs / rig.signIns).toFixed(2)} ms CPU per sign-in (` +
        `${((rig.clientCpuMs / (rig.seconds * 1000)) * 100).toFixed(0)}% of its core)`,
    );
  }
  const at4 = product(4);
  const p4 = passport(4);
  if (at4) {
    const rig = ceiling(4);
    const verdict = (needed: number, got: number) =>
      got >= needed
        ? 'MET'
        : rig && rate(rig) < needed
          ? `NOT MET, and not measurable here: the load generator tops out at ${rate(rig).toFixed(0)}/s`
          : 'NOT MET';
    console.log(
      `\ntarget ≥ 1,000 sign-ins/s at concurrency 4 (server on one core): ${rate(at4).toFixed(0)}/s ${verdict(1000, rate(at4))}`,
    );
    const serverMs = cpuPerSignIn(at4);
    const clientMs = at4.clientCpuMs / at4.signIns;
    console.log(
      `  the server was busy ${((at4.cpuMs / (at4.seconds * 1000)) * 100).toFixed(0)}% of its core at ` +
        `${serverMs.toFixed(2)} ms per sign-in (${(1000 / serverMs).toFixed(0)}/s if it were kept busy); four ` +
        `clients taking turns with it, the load generator at ${clientMs.toFixed(2)} ms per sign-in on the other ` +
        `core, allow at most ${closedLoopRate([clientMs, serverMs], 4).toFixed(0)}/s (mean value analysis)`,
    );
    if (p4) {
      const needed = 8 * rate(p4);
      console.log(
        `target ≥ 8× passport-saml at concurrency 4: ×${(rate(at4) / rate(p4)).toFixed(1)} sign-ins/s ` +
          `(needs ${needed.toFixed(0)}/s) ${verdict(needed, rate(at4))}; ` +
          `×${(cpuPerSignIn(p4) / serverMs).toFixed(1)} less server CPU per sign-in`,
      );
    }
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`failed sign-ins: ${failures}${firstFailure ? ` (first: ${firstFailure})` : ''}`);
  if (failures > 0) process.exitCode = 1;

  if (process.argv.includes('--memory')) {
    console.log('\nmemory line: bench:memory (100,000 sign-ins, one-hour assertions)\n');
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bench/memory.bench.ts')], { stdio: 'inherit' });
      child.once('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) process.exitCode = 1;
  } else {
    console.log(
      'memory line: `npm run bench:http -- --memory` (or `npm run bench:memory`): RSS after 100,000 sign-ins, ' +
        'bytes per live replay entry; BENCH_MAX_OLD_SPACE_MB=128 BENCH_SIGNINS=200000 for the constrained run.',
    );
  }
}

/**
 * The throughput of a closed loop of `clients` clients over stations that each serve one at a time, with these
 * demands in ms per sign-in (here the load generator's core and the server's core), by exact mean value
 * analysis (Reiser and Lavenberg, 1980), in sign-ins per second. At concurrency 4 neither core can be kept busy:
 * each client waits for its own answers. The measured rate stays somewhat below this (wake-ups, the loopback
 * network, bursts), never above it.
 */
function closedLoopRate(demandsMs: readonly number[], clients: number): number {
  let queues = demandsMs.map(() => 0);
  let rate = 0;
  for (let n = 1; n <= clients; n++) {
    const residence = demandsMs.map((d, i) => d * (1 + queues[i]!));
    rate = n / residence.reduce((a, b) => a + b, 0);
    queues = residence.map((r) => rate * r);
  }
  return rate * 1000;
}

/** The IdP's answer for sign-in `n` (one of USERS users, LIFETIME_SECONDS assertions), to a request. */
function answerAs(
  idp: BenchIdp,
  n: number,
): (request: { inResponseTo: string; audience: string; acsUrl: string }) => string {
  return (request) =>
    idp.mint({
      ...request,
      nameId: `user${n % USERS}@bench.example`,
      now: Date.now(),
      lifetimeSeconds: LIFETIME_SECONDS,
    });
}

/** Sign-ins per second of a cell. */
function rate(cell: Cell): number {
  return cell.signIns / cell.seconds;
}

/** Runs one contender at one concurrency for a time (or a number of sign-ins), measuring its server's CPU. */
async function runCell(
  contender: Contender,
  concurrency: number,
  until: { seconds: number } | { signIns: number },
): Promise<Cell & { firstFailure: string }> {
  const client = benchClient(concurrency);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure = '';
  let started = 0;
  const cpuBefore = await cpuMsOf(contender.server.child);
  const clientBefore = process.cpuUsage();
  const t0 = performance.now();
  const deadline = 'seconds' in until ? t0 + until.seconds * 1000 : Number.POSITIVE_INFINITY;
  const limit = 'signIns' in until ? until.signIns : Number.POSITIVE_INFINITY;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && started < limit && contender.server.exitCode() === undefined) {
      const n = started++;
      const t = performance.now();
      try {
        await contender.signIn(client, n);
        latencies.push(performance.now() - t);
      } catch (error) {
        failures++;
        firstFailure ||= `${contender.name}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(clientBefore);
  const clientCpuMs = (used.user + used.system) / 1000;
  const cpuMs = (await cpuMsOf(contender.server.child).catch(() => cpuBefore)) - cpuBefore;
  client.close();
  return { signIns: latencies.length, failures, seconds, cpuMs, clientCpuMs, latencies, firstFailure };
}

async function startProduct(dir: string, idp: BenchIdp, root: string, name: string): Promise<Contender> {
  const port = await freePort();
  // Each product server has its own database and keys.
  const own = path.join(dir, name);
  await mkdir(own, { recursive: true });
  const base = `http://127.0.0.1:${port}`;
  const server = await startChild({
    cwd: dir,
    cpus: SERVER_CPU,
    args: [
      ...(CPU_PROF && name === 'product' ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []),
      path.join(root, 'src/cli/main.ts'),
      'serve',
    ],
    env: { ...productServerEnv(own, port, ADMIN_TOKEN), ...(name === 'baseline' ? BASELINE_ENV : {}) },
  });
  const created = await fetch(`${base}/admin/api/connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: 'bench',
      displayName: 'HTTP benchmark IdP',
      metadataXml: idp.metadataXml,
      preset: 'generic',
      // passport-saml's requests are unsigned too (no privateKey): the same work on both sides.
      policy: { signAuthnRequests: false },
    }),
  });
  if (created.status !== 201) throw new Error(`connection: ${created.status} ${await created.text()}`);
  const connection = (await created.json()) as { spEntityId: string; acsUrl: string };
  return {
    name,
    server,
    signIn: (client, n) => productSignIn(client, { base, ...connection }, answerAs(idp, n)),
  };
}

async function startPassport(dir: string, idp: BenchIdp & { certificatePem: string }): Promise<Contender> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const spEntityId = `${base}/metadata`;
  const server = await startChild({
    cwd: dir,
    cpus: SERVER_CPU,
    args: [path.join(ROOT, 'bench/http/passport-app.ts')],
    env: {
      PORT: String(port),
      BASE_URL: base,
      IDP_CERT_PEM: idp.certificatePem,
      IDP_ENTITY_ID: idp.entityId,
      IDP_SSO_URL: idp.ssoUrl,
      SP_ENTITY_ID: spEntityId,
      NODE_ENV: 'production',
    },
  });
  return {
    name: 'passport-saml',
    server,
    signIn: async (client, n) => {
      const login = await client.request('GET', `${base}/login`);
      if (login.status !== 302) throw new Error(`login: ${login.status} ${login.body.slice(0, 200)}`);
      const requestId = authnRequestIdOf(String(login.headers.location));
      const samlResponse = answerAs(
        idp,
        n,
      )({
        inResponseTo: requestId,
        audience: spEntityId,
        acsUrl: `${base}/acs`,
      });
      const acs = await client.request('POST', `${base}/acs`, {
        form: { SAMLResponse: samlResponse, RelayState: '/home' },
      });
      if (acs.status !== 303) throw new Error(`acs: ${acs.status} ${acs.body.slice(0, 300)}`);
      const me = await client.request('GET', `${base}/me`, {
        cookie: firstCookie(acs),
        accept: 'application/json',
      });
      if (me.status !== 200) throw new Error(`me: ${me.status} ${me.body.slice(0, 200)}`);
    },
  };
}

async function startNullSp(dir: string, idp: BenchIdp): Promise<Contender> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await startChild({
    cwd: dir,
    cpus: SERVER_CPU,
    args: [path.join(ROOT, 'bench/http/null-sp.ts')],
    env: { PORT: String(port) },
  });
  const target = { base, spEntityId: 'null-sp', acsUrl: `${base}/saml/bench/acs` };
  return {
    name: 'null SP',
    server,
    // The product's very client steps, and the IdP signs as for every contender.
    signIn: (client, n) => productSignIn(client, target, answerAs(idp, n)),
  };
}

function line(round: string, name: string, concurrency: number, cell: Cell): string {
  const sorted = [...cell.latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return (
    `${round.padEnd(5)}  ${name.padEnd(15)}  ${String(concurrency).padStart(4)}   ` +
    `${(cell.signIns / cell.seconds).toFixed(0).padStart(10)}   ${q(0.5).toFixed(2).padStart(6)}   ` +
    `${q(0.99).toFixed(2).padStart(6)}   ${(cell.cpuMs / Math.max(1, cell.signIns)).toFixed(2).padStart(8)}` +
    `   ${(cell.clientCpuMs / Math.max(1, cell.signIns)).toFixed(2).padStart(19)}` +
    (cell.failures ? `   FAILED: ${cell.failures}` : '')
  );
}

/** Pins every thread of a process to a CPU list (taskset -a). */
function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed: ${r.stderr}`);
}

/**
 * Sign-ins per second and server CPU per sign-in of `a` against `b`, at each concurrency, within this run: over
 * all rounds, then the median (and range) of the rounds' own ratios. The two contenders of one round ran back
 * to back, so a drift of the machine's speed over the run (up to 40% within an hour here) cancels out of each
 * round's ratio, where it does not out of the sums.
 */
function printRatios(
  title: string,
  digits: number,
  of: (c: number) => { a: Cell | undefined; b: Cell | undefined; rounds: [Cell, Cell][] },
): void {
  console.log(`\n${title}, same run:`);
  for (const c of CONCURRENCIES) {
    const { a: x, b: y, rounds } = of(c);
    if (!x || !y) continue;
    const perRound = rounds.map(([ra, rb]) => cpuPerSignIn(rb) / cpuPerSignIn(ra)).sort((p, q) => p - q);
    const median = perRound[Math.floor((perRound.length - 1) / 2)] ?? Number.NaN;
    console.log(
      `  concurrency ${String(c).padStart(2)}: ×${(rate(x) / rate(y)).toFixed(digits)} sign-ins/s, ` +
        `×${(cpuPerSignIn(y) / cpuPerSignIn(x)).toFixed(digits)} less server CPU per sign-in; ` +
        `per round: median ×${median.toFixed(digits)} less CPU ` +
        `(×${(perRound[0] ?? Number.NaN).toFixed(digits)} to ×${(perRound.at(-1) ?? Number.NaN).toFixed(digits)}, ${perRound.length} rounds)`,
    );
  }
}

function cpuPerSignIn(cell: Cell): number {
  return cell.cpuMs / Math.max(1, cell.signIns);
}

/** The cells of the same round of two contenders, side by side. */
function pairUp(a: Cell[] | undefined, b: Cell[] | undefined): [Cell, Cell][] {
  const pairs: [Cell, Cell][] = [];
  for (let i = 0; i < Math.min(a?.length ?? 0, b?.length ?? 0); i++) pairs.push([a![i]!, b![i]!]);
  return pairs;
}

await main();
