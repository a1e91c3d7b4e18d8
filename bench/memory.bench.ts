/**
 * `npm run bench:memory`: what a login storm costs the server's memory. Complete sign-ins over HTTP against
 * the real server (`saml-sp serve`, SQLite, in-process request and replay caches) in a child process:
 * GET /saml/bench/login (a pending request, a browser-key cookie) -> an IdP response to that request, posted
 * to the ACS (validation, replay cache, user, session) -> GET /me with the session cookie.
 *
 * The IdP issues one-hour assertions (ADFS and Entra do), so every sign-in leaves one live replay entry for an
 * hour. The server runs on a fast clock (BENCH_CLOCK_FACTOR, default 60: one hour passes in one real minute;
 * bench/memory/clock.ts, loaded with --import, is the only change to the server process), so the replay
 * window fills and turns over within the run: RSS must rise while the window fills and stay flat after.
 *
 * Prints the server's RSS every BENCH_REPORT_EVERY sign-ins with its V8 heap spaces (bench/memory/heap-report.ts), the RSS after 100,000 sign-ins, and the heap
 * bytes one live replay entry and one pending request cost (measured in this process, on the stores the
 * server uses, with keys of the server's shape).
 *
 * Options (environment): BENCH_SIGNINS (default 100000), BENCH_CONCURRENCY (8), BENCH_CLOCK_FACTOR (60),
 * BENCH_MAX_OLD_SPACE_MB (unset: Node's default heap; 128 reproduces the issue's constrained run),
 * BENCH_REPORT_EVERY (10000), BENCH_SERVER_ROOT (another checkout's server, for a before/after comparison).
 * Run it with `nice` on a shared machine.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryReplayCache, MemoryRequestIdStore } from '../src/store/memory/index.ts';
import { freePort } from '../test/helpers/server.ts';
import { type BenchChild, mb, productServerEnv, rssOf, startChild } from './lib/child.ts';
import { benchClient, productSignIn } from './lib/client.ts';
import { warpedNow } from './memory/clock.ts';
import type { HeapReport } from './memory/heap-report.ts';
import { createBenchIdp } from './memory/mint.ts';

const SIGNINS = Number(process.env.BENCH_SIGNINS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const FACTOR = Number(process.env.BENCH_CLOCK_FACTOR ?? 60);
const MAX_OLD_SPACE_MB = process.env.BENCH_MAX_OLD_SPACE_MB;
const REPORT_EVERY = Number(process.env.BENCH_REPORT_EVERY ?? 10_000);
const LIFETIME_SECONDS = 3600;
const USERS = 1_000;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const ROOT = path.resolve(import.meta.dirname, '..');
/** Whose server to run: another checkout (e.g. main) for a before/after comparison. Default: this one. */
const SERVER_ROOT = path.resolve(process.env.BENCH_SERVER_ROOT ?? ROOT);

async function main(): Promise<void> {
  const perEntry = measureEntryCosts();
  console.log(
    `node ${process.version}; ${SIGNINS} sign-ins, concurrency ${CONCURRENCY}, one-hour assertions, ` +
      `server clock x${FACTOR} (window = ${(LIFETIME_SECONDS / FACTOR).toFixed(0)} s real)` +
      (MAX_OLD_SPACE_MB ? `, server --max-old-space-size=${MAX_OLD_SPACE_MB}` : '') +
      (SERVER_ROOT === ROOT ? '' : `, server from ${SERVER_ROOT}`),
  );
  console.log(
    `heap per live replay entry: ${perEntry.replay.toFixed(0)} B; per pending request: ${perEntry.request.toFixed(0)} B`,
  );

  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-bench-memory-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const epoch = Date.now();
  const now = () => warpedNow(FACTOR, epoch);
  const server = await startServer(dir, port, epoch);
  let failures = 0;
  let firstFailure = '';
  try {
    const idp = await createBenchIdp('https://idp.bench.example/metadata', 'https://idp.bench.example/sso');
    const created = await fetch(`${base}/admin/api/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'bench',
        displayName: 'Memory benchmark IdP',
        metadataXml: idp.metadataXml,
        preset: 'generic',
        // An RSA signature per /login is CPU, not memory; most IdPs do not ask for signed requests.
        policy: { signAuthnRequests: false },
      }),
    });
    if (created.status !== 201) throw new Error(`connection: ${created.status} ${await created.text()}`);
    const connection = (await created.json()) as { spEntityId: string; acsUrl: string };
    const baselineRss = await rssOf(server.child);
    console.log(`\nserver RSS before the first sign-in: ${mb(baselineRss)}`);
    console.log(
      'sign-ins   real s   sign-ins/s   RSS      live window   server heap, committed MB: new old code large; external',
    );

    const finishedAt: number[] = [];
    let started = 0;
    let done = 0;
    const t0 = performance.now();
    let rssAt100k: number | undefined;
    const samples: { done: number; rss: number; live: number }[] = [];
    let nextReport = REPORT_EVERY;

    // The lean keep-alive client (bench/lib/client.ts): the load generator's core, not fetch, was the limit.
    const client = benchClient(CONCURRENCY);
    // One sign-in as a new browser; the IdP answers each login with a one-hour assertion.
    const signIn = (n: number): Promise<void> =>
      productSignIn(client, { base, ...connection }, (request) =>
        idp.mint({
          ...request,
          nameId: `user${n % USERS}@bench.example`,
          now: now(),
          lifetimeSeconds: LIFETIME_SECONDS,
        }),
      );

    const worker = async (): Promise<void> => {
      while (started < SIGNINS && server.exitCode() === undefined) {
        const n = started++;
        try {
          await signIn(n);
        } catch (error) {
          failures++;
          firstFailure ||= error instanceof Error ? error.message : String(error);
          if (server.exitCode() !== undefined) return;
        }
        done++;
        finishedAt.push(now());
        if (done >= nextReport || done === SIGNINS) {
          nextReport += REPORT_EVERY;
          const rss = await rssOf(server.child);
          const horizon = now() - LIFETIME_SECONDS * 1000;
          while (finishedAt.length && (finishedAt[0] ?? 0) < horizon) finishedAt.shift();
          const seconds = (performance.now() - t0) / 1000;
          samples.push({ done, rss, live: finishedAt.length });
          if (rssAt100k === undefined && done >= 100_000) rssAt100k = rss; // reports land a few sign-ins late
          console.log(
            `${String(done).padStart(8)}   ${seconds.toFixed(0).padStart(6)}   ${(done / seconds).toFixed(0).padStart(10)}   ${mb(rss).padStart(7)}  ${String(finishedAt.length).padStart(11)}   ${await heapLine(dir)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    client.close();

    const exit = server.exitCode();
    console.log('');
    if (exit !== undefined) console.log(`SERVER DIED (exit ${exit}): ${server.tail()}`);
    console.log(`failed sign-ins: ${failures}${firstFailure ? ` (first: ${firstFailure})` : ''}`);
    if (rssAt100k !== undefined) console.log(`RSS after 100,000 sign-ins: ${mb(rssAt100k)}`);
    // "Flat once the window is full": RSS over the samples taken after one full window of server time.
    const windowSignIns = Math.max(...samples.map((s) => s.live));
    const full = samples.filter((s) => s.done >= 2 * windowSignIns);
    if (full.length >= 2) {
      const rss = full.map((s) => s.rss);
      console.log(
        `RSS once the window is full (${full.length} samples after ${full[0]?.done} sign-ins): ` +
          `min ${mb(Math.min(...rss))}, max ${mb(Math.max(...rss))}, last ${mb(rss.at(-1) ?? 0)}`,
      );
    } else {
      console.log(
        'the window did not fill and turn over within the run: raise BENCH_CLOCK_FACTOR or BENCH_SIGNINS',
      );
    }
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  if (failures > 0) process.exitCode = 1;
}

/** Heap bytes per entry of the in-memory replay cache and request store, with keys shaped as the SP's. */
function measureEntryCosts(): { replay: number; request: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const N = 100_000;
  const t = Date.now();
  const replay = new MemoryReplayCache({ maxEntries: N });
  gc();
  let before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    // As the SP builds it: a template over a 41-character ID cut from a larger document.
    const doc = `<saml:Assertion ID="_${i.toString(16).padStart(40, '0')}" Version="2.0">`;
    void replay.remember(`assertion:bench:${doc.slice(20, 61)}`, new Date(t + 3_600_000), new Date(t));
  }
  gc();
  const replayBytes = (process.memoryUsage().heapUsed - before) / N;
  const requests = new MemoryRequestIdStore({ maxEntries: N });
  gc();
  before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    void requests.save({
      requestId: `_${i.toString(16).padStart(40, '0')}`,
      connectionId: 'bench',
      browserKey: `${i.toString(36).padStart(43, 'k')}`,
      returnTo: '/home',
      createdAt: new Date(t),
      expiresAt: new Date(t + 600_000),
    });
  }
  gc();
  const requestBytes = (process.memoryUsage().heapUsed - before) / N;
  if (replay.size !== N || requests.size !== N) throw new Error('entry-cost measurement lost entries');
  return { replay: replayBytes, request: requestBytes };
}

function heapFileOf(dir: string): string {
  return path.join(dir, 'server-heap.json');
}

/** The server's latest heap report (bench/memory/heap-report.ts): which V8 space holds the RSS. */
async function heapLine(dir: string): Promise<string> {
  const text = await readFile(heapFileOf(dir), 'utf8').catch(() => '');
  if (!text) return '(no heap report yet)';
  const r = JSON.parse(text) as HeapReport;
  const space = (name: string) => ((r.spaces[name]?.committed ?? 0) / 1048576).toFixed(0);
  return `${space('new_space')} ${space('old_space')} ${space('code_space')} ${space('large_object_space')}; ${(r.external / 1048576).toFixed(0)}`;
}

async function startServer(dir: string, port: number, epoch: number): Promise<BenchChild> {
  return startChild({
    cwd: dir,
    args: [
      ...(MAX_OLD_SPACE_MB ? [`--max-old-space-size=${MAX_OLD_SPACE_MB}`] : []),
      '--import',
      path.join(ROOT, 'bench/memory/clock.ts'),
      '--import',
      path.join(ROOT, 'bench/memory/heap-report.ts'),
      path.join(SERVER_ROOT, 'src/cli/main.ts'),
      'serve',
    ],
    env: {
      ...productServerEnv(dir, port, ADMIN_TOKEN),
      BENCH_CLOCK_INSTALL: '1',
      BENCH_CLOCK_FACTOR: String(FACTOR),
      BENCH_CLOCK_EPOCH: String(epoch),
      BENCH_HEAP_FILE: heapFileOf(dir),
    },
  });
}

await main();
