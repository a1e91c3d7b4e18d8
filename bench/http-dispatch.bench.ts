/**
 * `node bench/http-dispatch.bench.ts`: what routing costs the server on a sign-in route, apart from the
 * sign-in's own work. Two product servers from this checkout, one with the sign-in fast path
 * (src/http/sign-in-fast-path.ts) and one with HTTP_FAST_PATH=off (every request through Express's stack),
 * each in a child process pinned to one core, answer the same cheap request on a hot route: GET /me without
 * a cookie (401 JSON: no store is read, so the HTTP layer is nearly all of it). Interleaved rounds; prints
 * the server CPU per request (utime + stime from /proc) and the ratio, within one run.
 *
 * Options (environment): BENCH_ROUNDS (4), BENCH_REQUESTS per cell (5000), BENCH_CONCURRENCY (4),
 * BENCH_SERVER_CPU ("1"), BENCH_CLIENT_CPU ("0"), BENCH_BASELINE_ROOT (another checkout's server as a third
 * contender, "baseline").
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/helpers/server.ts';
import { type BenchChild, productServerEnv, startChild } from './lib/child.ts';
import { BenchClient } from './lib/client.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
const CLIENT_CPU = process.env.BENCH_CLIENT_CPU ?? '0';
const ROOT = path.resolve(import.meta.dirname, '..');
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** Another checkout's server as a third contender (before/after in one run). */
const BASELINE_ROOT = process.env.BENCH_BASELINE_ROOT && path.resolve(process.env.BENCH_BASELINE_ROOT);

interface Server {
  name: string;
  base: string;
  child: BenchChild;
}

async function start(dir: string, name: string, fastPath: 'on' | 'off', root = ROOT): Promise<Server> {
  const port = await freePort();
  const own = path.join(dir, name);
  await mkdir(own, { recursive: true });
  const child = await startChild({
    cwd: dir,
    cpus: SERVER_CPU,
    args: [
      ...(CPU_PROF && name === 'fast path' ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []),
      path.join(root, 'src/cli/main.ts'),
      'serve',
    ],
    env: { ...productServerEnv(own, port, 'bench-admin-token-0123456789abcdef'), HTTP_FAST_PATH: fastPath },
  });
  return { name, base: `http://127.0.0.1:${port}`, child };
}

/** Requests for `seconds` (or `count` of them) at CONCURRENCY; the server's CPU ms over them. */
async function cell(server: Server, until: { seconds: number } | { count: number }) {
  const client = new BenchClient(CONCURRENCY);
  const before = await cpuNsMs(server.child.child.pid!);
  const t0 = performance.now();
  const deadline = 'seconds' in until ? t0 + until.seconds * 1000 : Number.POSITIVE_INFINITY;
  const limit = 'count' in until ? until.count : Number.POSITIVE_INFINITY;
  let sent = 0;
  let failed = 0;
  const worker = async () => {
    while (performance.now() < deadline && sent < limit) {
      sent++;
      const r = await client.request('GET', `${server.base}/me`, { accept: 'application/json' });
      if (r.status !== 401) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpuMs = (await cpuNsMs(server.child.child.pid!)) - before;
  client.close();
  return { requests: sent, failed, seconds, cpuMs };
}

/**
 * CPU time of every thread of a process in milliseconds, to the nanosecond (/proc/<pid>/task/<tid>/schedstat:
 * time on CPU): /proc's utime and stime count 10 ms ticks, too coarse for a cell of a few hundred ms.
 */
async function cpuNsMs(pid: number): Promise<number> {
  const tids = await readdir(`/proc/${pid}/task`);
  let ns = 0;
  for (const tid of tids) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0');
    ns += Number(stat.split(' ')[0]);
  }
  return ns / 1e6;
}

async function main(): Promise<void> {
  if (CLIENT_CPU) spawnSync('taskset', ['-a', '-p', '-c', CLIENT_CPU, String(process.pid)]);
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-bench-dispatch-'));
  const servers: Server[] = [];
  const sums = new Map<string, { requests: number; cpuMs: number; seconds: number; failed: number }>();
  /** µs per request of each round, per server: the median of the per-round ratios resists bursts of load. */
  const perRound = new Map<string, number[]>();
  try {
    servers.push(await start(dir, 'fast path', 'on'), await start(dir, 'express', 'off'));
    if (BASELINE_ROOT) servers.push(await start(dir, 'baseline', 'off', BASELINE_ROOT));
    for (const s of servers) await cell(s, { count: 5_000 });
    console.log('\nround  server       requests/s   server CPU µs/request');
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of round % 2 ? servers : [...servers].reverse()) {
        const c = await cell(s, { count: REQUESTS });
        const sum = sums.get(s.name) ?? { requests: 0, cpuMs: 0, seconds: 0, failed: 0 };
        sum.requests += c.requests;
        sum.cpuMs += c.cpuMs;
        sum.seconds += c.seconds;
        sum.failed += c.failed;
        sums.set(s.name, sum);
        perRound.set(s.name, [...(perRound.get(s.name) ?? []), (c.cpuMs * 1000) / c.requests]);
        console.log(
          `${String(round).padEnd(5)}  ${s.name.padEnd(11)}  ${(c.requests / c.seconds).toFixed(0).padStart(10)}   ${((c.cpuMs * 1000) / c.requests).toFixed(1).padStart(8)}`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.child.stop()));
    await rm(dir, { recursive: true, force: true });
  }
  const perRequest = (name: string) => {
    const s = sums.get(name)!;
    return (s.cpuMs * 1000) / s.requests;
  };
  console.log('\nall rounds:');
  for (const [name, s] of sums) {
    console.log(
      `  ${name.padEnd(11)} ${(s.requests / s.seconds).toFixed(0)} requests/s, ${perRequest(name).toFixed(1)} µs server CPU per request, ${s.failed} failed`,
    );
  }
  const saved = perRequest('express') - perRequest('fast path');
  console.log(
    `fast path: ${saved.toFixed(1)} µs less per request (×${(perRequest('express') / perRequest('fast path')).toFixed(2)}); ` +
      `a sign-in makes three such requests: ~${((3 * saved) / 1000).toFixed(3)} ms`,
  );
  const medianRatio = (a: string, b: string) => {
    const xs = perRound.get(a)!;
    const ratios = perRound
      .get(b)!
      .map((y, i) => xs[i]! / y)
      .sort((p, q) => p - q);
    return ratios[Math.floor(ratios.length / 2)]!;
  };
  console.log(
    `median of the per-round ratios: express / fast path ×${medianRatio('express', 'fast path').toFixed(3)}`,
  );
  if (sums.has('baseline')) {
    console.log(
      `median of the per-round ratios: baseline / fast path ×${medianRatio('baseline', 'fast path').toFixed(3)}`,
    );
    console.log(
      `fast path vs baseline: ×${(perRequest('baseline') / perRequest('fast path')).toFixed(2)} less CPU per request`,
    );
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
