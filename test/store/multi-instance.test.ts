/**
 * Two instances of the real server behind an imaginary load balancer: one BASE_URL, one PostgreSQL database
 * (with Redis for the shared state, and without), shared SP keys. A sign-in started on one instance finishes on the other, the session works on
 * both, a replay is refused by either, and a sign-out on one ends the session everywhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';
import { PostgresRequestIdStore, PostgresSessionStore } from '../../src/store/postgres/index.ts';
import { RedisRequestIdStore } from '../../src/store/redis/index.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import {
  type PostgresServer,
  type RunningServer,
  startPostgres,
  startRedis,
  unavailable,
} from '../helpers/db-servers.ts';
import { freePort } from '../helpers/server.ts';

const skip = unavailable('PostgreSQL') !== undefined || unavailable('Redis') !== undefined;

describe.skipIf(skip).each([
  { name: 'PostgreSQL and Redis', withRedis: true },
  { name: 'PostgreSQL alone', withRedis: false },
])('two instances on $name', ({ withRedis }) => {
  let postgres: PostgresServer;
  let redis: RunningServer;
  let databaseUrl: string;
  let dir: string;
  let a: AppServer;
  let b: AppServer;
  let urlA: string;
  let urlB: string;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    databaseUrl = await postgres.createDatabase('instances');
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-instances-'));
    const [portA, portB] = [await freePort(), await freePort()];
    const config = loadConfig(
      {
        PORT: String(portA),
        BASE_URL: `http://localhost:${portA}`,
        DATABASE_URL: databaseUrl,
        ...(withRedis ? { REDIS_URL: redis.url } : {}),
        CERTS_DIR: path.join(dir, 'certs'),
        DEV_IDP: 'on',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      },
      { cwd: dir },
    );
    // One after the other, as a rolling start would: the first writes the shared keys, the second reads them.
    a = await createAppServer(config);
    await a.listen(portA, '127.0.0.1');
    b = await createAppServer(config);
    await b.listen(portB, '127.0.0.1');
    urlA = `http://localhost:${portA}`;
    urlB = `http://localhost:${portB}`;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([postgres?.stop(), redis?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a sign-in started on A finishes on B; the session, the replay cache and sign-out are shared', async () => {
    // Sessions are durable in PostgreSQL either way; Redis carries the request IDs (issue #11).
    expect(a.stores.sessions).toBeInstanceOf(PostgresSessionStore);
    expect(b.stores.requests).toBeInstanceOf(withRedis ? RedisRequestIdStore : PostgresRequestIdStore);
    const browser = new TestBrowser();
    const start = await browser.get(`${urlA}/saml/dev/login?returnTo=/after`);
    expect(start.status).toBe(302);
    const loginPage = await browser.follow(start);
    const answer = await browser.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
    const acsForm = parseForm(answer);
    expect(acsForm.action).toBe(`${urlA}/saml/dev/acs`);

    // The load balancer sends the IdP's POST to B: B finds A's request ID and A's connection.
    const landed = await browser.post(`${urlB}/saml/dev/acs`, acsForm.fields);
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/after');

    const meOnA = await browser.get(`${urlA}/me`, { accept: 'application/json' });
    expect(meOnA.status).toBe(200);
    const profile = JSON.parse(meOnA.body) as { id: string; nameId: string; connectionId: string };
    expect(profile).toMatchObject({ nameId: 'alice@example.com', connectionId: 'dev' });

    // The same response again, now at A: B remembered the assertion in the shared replay cache.
    const replayed = await browser.post(`${urlA}/saml/dev/acs`, acsForm.fields, {
      accept: 'application/json',
    });
    expect(replayed.status).toBe(400);
    expect((JSON.parse(replayed.body) as { error: { code: string } }).error.code).toBe('SAML_REPLAYED');

    // The user is one row in PostgreSQL.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT id FROM users');
      expect(rows).toEqual([{ id: profile.id }]);
    } finally {
      await client.end();
    }

    // Signing out on B ends the session on A too.
    await browser.post(`${urlB}/logout`, {});
    expect((await browser.get(`${urlA}/me`, { accept: 'application/json' })).status).toBe(401);
  });
});
