/**
 * `npm run bench:scim`: the SCIM directory at the scale of issue #14 item 6, over HTTP against the real server
 * (createAppServer, as `npm start` builds it), on SQLite and on a real PostgreSQL (when its binaries are installed):
 *
 * 1. an initial push of BENCH_SCIM_USERS users (default 10,000), one POST /Users each, BENCH_SCIM_CONCURRENCY
 *    requests in flight (default 5: Okta and Entra ID provision an app with a handful of parallel requests);
 * 2. the directory then filled to BENCH_SCIM_TOTAL users (default 100,000) with one bulk INSERT (seeding, not
 *    measured), and pages of 100 read: the first page, a page in the middle (startIndex = total / 2), and
 *    `filter=userName eq "…"` lookups; the median and the 95th percentile of BENCH_SCIM_READS reads (default 30).
 *
 * The client runs in the same process as the server (one event loop): the times include both sides.
 * Run it with `nice` on a shared machine.
 */

import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { startPostgres, unavailable } from '../test/helpers/db-servers.ts';
import { type ScimClient, startScim } from '../test/scim/helpers.ts';

const PUSH = Number(process.env.BENCH_SCIM_USERS ?? 10_000);
const TOTAL = Number(process.env.BENCH_SCIM_TOTAL ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_SCIM_CONCURRENCY ?? 5);
const READS = Number(process.env.BENCH_SCIM_READS ?? 30);

async function push(c: ScimClient): Promise<number> {
  const token = await c.token();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PUSH) {
        const i = next++;
        const answer = await c.call('POST', '/Users', {
          token,
          body: {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: `pushed${i}@bench.test`,
            name: { givenName: 'Pushed', familyName: `User ${i}` },
            emails: [{ primary: true, value: `pushed${i}@bench.test`, type: 'work' }],
            externalId: `ext-${i}`,
            active: true,
          },
        });
        if (answer.status !== 201)
          throw new Error(`POST ${i}: ${answer.status} ${JSON.stringify(answer.json)}`);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

const SEED_COLUMNS = `id, organization_id, user_name, user_name_key, external_id, email_key, active, deleted, resource,
  version, created_at, updated_at`;

async function seed(
  c: ScimClient,
  backend: 'sqlite' | 'postgres',
  databaseUrl: string,
  count: number,
): Promise<void> {
  if (count <= 0) return;
  if (backend === 'sqlite') {
    const db = new DatabaseSync(path.join(c.t.dir, 'test.db'), { timeout: 10_000 });
    try {
      db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
        INSERT INTO scim_users (${SEED_COLUMNS})
        SELECT 'seed-' || i, 'dev', 'seeded' || i || '@bench.test', 'seeded' || i || '@bench.test', 'seed-ext-' || i,
          'seeded' || i || '@bench.test', 1, 0, json_object('userName', 'seeded' || i || '@bench.test'), 1,
          1767225600000 + i, 1767225600000 + i FROM n`);
    } finally {
      db.close();
    }
    return;
  }
  const pool = new pg.Pool({ connectionString: databaseUrl });
  try {
    await pool.query(
      `INSERT INTO scim_users (${SEED_COLUMNS})
       SELECT 'seed-' || i, 'dev', 'seeded' || i || '@bench.test', 'seeded' || i || '@bench.test', 'seed-ext-' || i,
         'seeded' || i || '@bench.test', true, false, jsonb_build_object('userName', 'seeded' || i || '@bench.test'), 1,
         now(), now() FROM generate_series(1, $1::int) AS i`,
      [count],
    );
    await pool.query('ANALYZE scim_users');
  } finally {
    await pool.end();
  }
}

async function timeReads(c: ScimClient, path: () => string): Promise<{ median: number; p95: number }> {
  const token = await c.token();
  const times: number[] = [];
  for (let i = 0; i < READS; i++) {
    const started = performance.now();
    // One retry: under heavy load the client may reuse a keep-alive socket the server has just closed.
    const answer = await c.call('GET', path(), { token }).catch(() => c.call('GET', path(), { token }));
    times.push(performance.now() - started);
    if (answer.status !== 200) throw new Error(`GET ${path()}: ${answer.status}`);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] as number,
    p95: times[Math.floor(times.length * 0.95)] as number,
  };
}

async function run(backend: 'sqlite' | 'postgres'): Promise<void> {
  const server = backend === 'postgres' ? await startPostgres() : undefined;
  const databaseUrl = server ? await server.createDatabase('bench') : '';
  const c = await startScim(server ? { DATABASE_URL: databaseUrl } : {});
  try {
    const pushSeconds = await push(c);
    console.log(
      `${backend}: pushed ${PUSH} users (POST /Users, ${CONCURRENCY} in flight) in ${pushSeconds.toFixed(1)} s (${(PUSH / pushSeconds).toFixed(0)}/s)`,
    );
    await seed(c, backend, databaseUrl, TOTAL - PUSH);
    const ms = (r: { median: number; p95: number }) =>
      `median ${r.median.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms`;
    const first = await timeReads(c, () => '/Users?startIndex=1&count=100');
    const middle = await timeReads(c, () => `/Users?startIndex=${Math.floor(TOTAL / 2)}&count=100`);
    let k = 0;
    const lookup = await timeReads(
      c,
      () =>
        `/Users?filter=${encodeURIComponent(`userName eq "seeded${1 + ((k++ * 7919) % (TOTAL - PUSH))}@bench.test"`)}`,
    );
    console.log(
      `${backend}: ${TOTAL} users: first page of 100 ${ms(first)}; page at startIndex ${Math.floor(TOTAL / 2)} ${ms(middle)}; userName eq ${ms(lookup)}`,
    );
  } finally {
    await c.close();
    await server?.stop();
  }
}

await run('sqlite');
if (unavailable('PostgreSQL') === undefined) await run('postgres');
else console.log('PostgreSQL: skipped (binaries not installed)');
