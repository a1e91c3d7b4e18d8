/**
 * `npm run bench:dispatch`: the CPU the fast path saves per request, measured in pairs so that the
 * load of a shared machine cancels out. One process builds the server as `saml-sp serve` does (fast path on)
 * and a second node:http server on the same Express app (every request through Express); GET /me without a
 * cookie (401 JSON, no store read) goes to one, then the other, one request at a time. Each request's cost is
 * the time from node:http's request event to the response's 'finish', all of it on this thread with nothing
 * else in flight (no I/O in between: the handler's only await is a resolved promise): routing, handler and
 * writing the answer, not the HTTP parse before it. (process.threadCpuUsage counts in ticks here: too coarse.)
 * A preempted request inflates one sample; the medians and the median of the per-pair differences ignore it. The fast server also tracks in-flight requests for the drain (the
 * plain one does not): that cost counts against the fast path here.
 *
 * Options (environment): BENCH_PAIRS (20000), BENCH_PATH ("/me"; "/saml/dev/login?returnTo=/x" for the login
 * route: a pending request is saved in memory and SQLite's change counters are read, both without I/O waits).
 */

import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request, type Server, type ServerResponse } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createAppServer } from '../src/server.ts';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 20_000);
const PATH = process.env.BENCH_PATH ?? '/me';

/**
 * Records the time (µs) of each request a server answers, from node:http's `http.server.request.start`
 * channel (published just before the 'request' event) to the response's 'finish'.
 */
function meter(into: Map<Server, number[]>): void {
  diagnostics.subscribe('http.server.request.start', (message) => {
    const { response, server } = message as { response: ServerResponse; server: Server };
    const samples = into.get(server);
    if (!samples) return;
    const start = performance.now();
    response.once('finish', () => samples.push((performance.now() - start) * 1000));
  });
}

function get(port: number, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: PATH, agent, headers: { accept: 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-bench-paired-'));
const config = loadConfig(
  // The dev IdP gives the login route a connection (`dev`): BENCH_PATH=/saml/dev/login?returnTo=/x
  {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${dir}/b.db`,
    CERTS_DIR: `${dir}/certs`,
    LOG_LEVEL: 'warn',
    DEV_IDP: 'on',
  },
  { cwd: dir },
);
const app = await createAppServer(config);
const { port: fastPort } = await app.listen(0, '127.0.0.1');
const plain = createServer(app.app);
await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
const plainPort = (plain.address() as { port: number }).port;
const fastCpu: number[] = [];
const plainCpu: number[] = [];
const samples = new Map<Server, number[]>([[plain, plainCpu]]);
meter(samples);
// The product's own server is the one that is not `plain`: found at its first request.
diagnostics.subscribe('http.server.request.start', function first(message) {
  const { server } = message as { server: Server };
  if (server !== plain && !samples.has(server)) samples.set(server, fastCpu);
});

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (let i = 0; i < 2_000; i++) {
  await get(fastPort, agent);
  await get(plainPort, agent);
}
fastCpu.length = 0;
plainCpu.length = 0;
for (let i = 0; i < PAIRS; i++) {
  // Alternate which goes first in each pair.
  if (i % 2) {
    await get(fastPort, agent);
    await get(plainPort, agent);
  } else {
    await get(plainPort, agent);
    await get(fastPort, agent);
  }
}
agent.destroy();
const diffs = plainCpu.map((p, i) => p - fastCpu[i]!);
console.log(
  `GET ${PATH}, ${PAIRS} pairs: fast path median ${median(fastCpu).toFixed(1)} µs, Express median ${median(plainCpu).toFixed(1)} µs; ` +
    `median per-pair difference ${median(diffs).toFixed(1)} µs (Express − fast path); fast path cheaper in ` +
    `${((100 * diffs.filter((d) => d > 0).length) / diffs.length).toFixed(0)}% of the pairs, equal in ` +
    `${((100 * diffs.filter((d) => d === 0).length) / diffs.length).toFixed(0)}%`,
);
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
await new Promise((resolve) => plain.close(resolve));
await app.close();
await rm(dir, { recursive: true, force: true });
