/**
 * Issue #11, item 1: outages answered honestly. The real server on PostgreSQL and Redis started here; each
 * store is taken away by its PID in turn. Every route answers 503 STORE_UNAVAILABLE with Retry-After (JSON
 * for API clients, HTML for browsers), never a 500 or a stack trace; /readyz says which store is gone; the
 * connection-health record and the log carry the same code; and the server recovers by itself when the store
 * returns (the time it takes is printed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/http/logger.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';
import { type Page, parseForm, TestBrowser } from '../helpers/browser.ts';
import {
  type PostgresServer,
  type RunningServer,
  startPostgres,
  startRedis,
  unavailable,
} from '../helpers/db-servers.ts';
import { type PortRedis, startRedisOnPort } from '../helpers/redis-on-port.ts';
import { freePort } from '../helpers/server.ts';

const skip = unavailable('PostgreSQL') !== undefined || unavailable('Redis') !== undefined;
const ADMIN_TOKEN = 'store-outage-admin-token-0123456789';
/** A stack frame, a source position or a server path: none may reach a client. */
const LEAK = /\n\s+at\s|\.ts:\d+|node_modules|file:\/\/|\/(?:work|tmp|home|usr|srv)\//;

let pgServer: PostgresServer;
let redis: RunningServer;
let redisAgain: PortRedis | undefined;
let server: AppServer;
let baseUrl: string;
let dir: string;
let databaseUrl: string;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  if (skip) return;
  [pgServer, redis] = await Promise.all([startPostgres(), startRedis()]);
  databaseUrl = await pgServer.createDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'saml-sp-outage-'));
  const port = await freePort();
  const config = loadConfig(
    {
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      ADMIN_TOKEN,
      CERTS_DIR: path.join(dir, 'certs'),
      DEV_IDP: 'on',
    },
    { cwd: dir },
  );
  server = await createAppServer(config, {
    logger: createLogger('info', (line) => logLines.push(JSON.parse(line) as Record<string, unknown>)),
  });
  await server.listen(port, '127.0.0.1');
  baseUrl = config.baseUrl;
});

afterAll(async () => {
  await server?.close();
  await redisAgain?.stop();
  await redis?.stop();
  await pgServer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Login at the SP, then at the dev IdP: the auto-post form for the ACS, not yet submitted. */
async function acsForm(b: TestBrowser) {
  const start = await b.get(`${baseUrl}/saml/dev/login?returnTo=/after`);
  expect(start.status).toBe(302);
  const loginPage = await b.follow(start);
  const answer = await b.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
  expect(answer.status).toBe(200);
  return parseForm(answer);
}

async function signedInBrowser(): Promise<TestBrowser> {
  const b = new TestBrowser();
  const done = await b.submit(await acsForm(b));
  expect(done.status).toBe(303);
  return b;
}

/** A second browser with the same cookies (a route like /logout clears them). */
function copyOf(b: TestBrowser): TestBrowser {
  const copy = new TestBrowser();
  for (const [host, jar] of b.cookies) copy.cookies.set(host, new Map(jar));
  return copy;
}

async function adminBrowser(): Promise<TestBrowser> {
  const b = new TestBrowser();
  const login = await b.post(`${baseUrl}/admin/login`, { token: ADMIN_TOKEN });
  expect(login.status).toBe(303);
  return b;
}

interface Probe {
  name: string;
  /** The admin API speaks JSON and the admin page HTML, whatever the Accept header says. */
  only?: 'application/json' | 'text/html';
  run(accept: string): Promise<Page>;
}

/** Every route of CONTRACT.md that reaches a store. */
function probes(user: TestBrowser, admin: TestBrowser, form: Awaited<ReturnType<typeof acsForm>>): Probe[] {
  const get = (b: TestBrowser, p: string) => (accept: string) => copyOf(b).get(`${baseUrl}${p}`, { accept });
  return [
    { name: 'GET /', run: get(user, '/') },
    { name: 'GET /me', run: get(user, '/me') },
    { name: 'GET /logout', run: get(user, '/logout') },
    { name: 'POST /logout', run: (accept) => copyOf(user).post(`${baseUrl}/logout`, {}, { accept }) },
    { name: 'GET metadata', run: get(user, '/saml/dev/metadata') },
    { name: 'GET login', run: get(user, '/saml/dev/login?returnTo=/x') },
    { name: 'POST acs', run: (accept) => copyOf(user).post(form.action, form.fields, { accept }) },
    { name: 'GET slo', run: get(user, '/saml/dev/slo?SAMLRequest=AAAA') },
    {
      name: 'admin API',
      only: 'application/json',
      run: (accept) =>
        new TestBrowser().get(`${baseUrl}/admin/api/connections`, {
          accept,
          authorization: `Bearer ${ADMIN_TOKEN}`,
        }),
    },
    { name: 'admin page', only: 'text/html', run: get(admin, '/admin') },
  ];
}

function expectHonest503(page: Page, accept: string, name: string, only?: string): void {
  expect(page.status, `${name} (${accept}): ${page.body.slice(0, 300)}`).toBe(503);
  expect(page.headers.get('retry-after'), name).toMatch(/^\d+$/);
  expect(page.body, name).not.toMatch(LEAK);
  if ((only ?? accept) === 'application/json') {
    expect(page.headers.get('content-type'), `${name} (${accept}): ${page.body.slice(0, 200)}`).toMatch(
      /^application\/json/,
    );
    const body = JSON.parse(page.body) as { error: { code: string; traceId?: string } };
    expect(body.error.code, name).toBe('STORE_UNAVAILABLE');
  } else {
    expect(page.headers.get('content-type'), name).toMatch(/^text\/html/);
    expect(page.body, name).toContain('STORE_UNAVAILABLE');
  }
}

/** Polls `attempt` every 25 ms until it is true; returns the milliseconds it took. */
async function timeUntil(attempt: () => Promise<boolean>, limitMs = 20_000): Promise<number> {
  const started = performance.now();
  while (!(await attempt().catch(() => false))) {
    if (performance.now() - started > limitMs) throw new Error(`not recovered within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return Math.round(performance.now() - started);
}

describe.skipIf(skip)('store outages answered honestly (issue #11)', () => {
  it('Redis down: login and ACS answer 503 STORE_UNAVAILABLE; no route answers 500 or leaks; it recovers alone', async () => {
    const user = await signedInBrowser();
    const admin = await adminBrowser();
    const form = await acsForm(new TestBrowser());
    const pending = new TestBrowser();
    const pendingForm = await acsForm(pending);
    await redis.stop();

    for (const probe of probes(user, admin, form)) {
      for (const accept of ['application/json', 'text/html']) {
        const page = await probe.run(accept);
        expect(page.status, `${probe.name}: ${page.body.slice(0, 300)}`).not.toBe(500);
        expect(page.body, probe.name).not.toMatch(LEAK);
        if (page.status === 503) expectHonest503(page, accept, probe.name, probe.only);
        // Login and the ACS need Redis (pending requests live there): they cannot answer anything else.
        if (probe.name === 'GET login' || probe.name === 'POST acs')
          expectHonest503(page, accept, probe.name);
      }
    }

    // The ACS of a browser that started its sign-in before the outage: 503, and the same code under the same
    // ID in its trace (PostgreSQL is up) and in the log. No signature was verified (the ACS stopped before
    // it read the message), so the connection's health is not touched (issue #13).
    const refused = await pending.post(pendingForm.action, pendingForm.fields, {
      accept: 'application/json',
    });
    expectHonest503(refused, 'application/json', 'ACS');
    const traceId = (JSON.parse(refused.body) as { error: { traceId: string } }).error.traceId;
    const trace = await server.stores.traces?.get(traceId);
    expect(trace).toMatchObject({ errorCode: 'STORE_UNAVAILABLE', verified: false, outcome: 'failed' });
    expect((await server.stores.connectionHealth?.get('dev'))?.lastFailure).toBeUndefined();
    const logged = logLines.find((l) => l.traceId === traceId);
    expect(logged).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503, level: 'warn' });
    expect(String(logged?.cause)).toMatch(/redis/i);

    const ready = await new TestBrowser().get(`${baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 'unavailable',
      code: 'STORE_UNAVAILABLE',
      checks: {
        database: { status: 'ok', backend: 'postgres' },
        redis: { status: 'unavailable', backend: 'redis', code: 'STORE_UNAVAILABLE' },
      },
    });
    expect(ready.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    expect((await new TestBrowser().get(`${baseUrl}/healthz`)).status).toBe(200);

    // Back on the same port, empty (no persistence): the server reconnects by itself.
    redisAgain = await startRedisOnPort(redis.port);
    const recoveryMs = await timeUntil(
      async () => (await new TestBrowser().get(`${baseUrl}/saml/dev/login`)).status === 302,
    );
    console.info(`Redis returned: sign-ins start again after ${recoveryMs} ms`);
    expect((await new TestBrowser().get(`${baseUrl}/readyz`)).status).toBe(200);
    await signedInBrowser();
  }, 120_000);

  it('PostgreSQL down: every route answers 503 STORE_UNAVAILABLE (JSON and HTML); it recovers alone', async () => {
    const user = await signedInBrowser();
    const admin = await adminBrowser();
    const form = await acsForm(new TestBrowser());
    await pgServer.pause();

    for (const probe of probes(user, admin, form)) {
      for (const accept of ['application/json', 'text/html']) {
        expectHonest503(await probe.run(accept), accept, probe.name, probe.only);
      }
    }
    // The SOAP back-channel (the IdP is the client): a SOAP fault with the code, 503 and Retry-After.
    const soap = await new TestBrowser().request(`${baseUrl}/saml/dev/slo`, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: 'http://www.oasis-open.org/committees/security',
      },
      body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>',
    });
    expect(soap.status).toBe(503);
    expect(soap.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(soap.body).toContain('<faultstring>STORE_UNAVAILABLE');
    expect(soap.body).not.toMatch(LEAK);

    const ready = await new TestBrowser().get(`${baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 'unavailable',
      checks: { database: { status: 'unavailable', backend: 'postgres', code: 'STORE_UNAVAILABLE' } },
    });
    expect((await new TestBrowser().get(`${baseUrl}/healthz`)).status).toBe(200);
    // No log line said anything but STORE_UNAVAILABLE about these requests.
    expect(
      logLines.filter((l) => l.code === 'INTERNAL_ERROR' || l.code === 'SAML_CONNECTION_INVALID'),
    ).toEqual([]);

    await pgServer.resume();
    const recoveryMs = await timeUntil(
      async () => (await new TestBrowser().get(`${baseUrl}/saml/dev/metadata`)).status === 200,
    );
    console.info(`PostgreSQL returned: requests succeed again after ${recoveryMs} ms`);
    const readyAgain = await new TestBrowser().get(`${baseUrl}/readyz`);
    expect(readyAgain.status).toBe(200);
    expect(JSON.parse(readyAgain.body)).toMatchObject({
      status: 'ready',
      checks: {
        database: { status: 'ok', migrations: { applied: expect.any(Number) } },
        redis: { status: 'ok' },
      },
    });
    const me = await user.get(`${baseUrl}/me`, { accept: 'application/json' });
    expect([200, 401]).toContain(me.status);
    await signedInBrowser();
  }, 120_000);

  it('/readyz reports a database whose migrations are not all applied', async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number; name: string }>(
        'DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations) RETURNING version, name',
      );
      const ready = await new TestBrowser().get(`${baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toMatchObject({
        status: 'unavailable',
        code: 'MIGRATIONS_PENDING',
        checks: {
          database: { status: 'unavailable', code: 'MIGRATIONS_PENDING', pending: [rows[0]?.version] },
        },
      });
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        rows[0]?.version,
        rows[0]?.name,
      ]);
      expect((await new TestBrowser().get(`${baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await client.end();
    }
  });
});
