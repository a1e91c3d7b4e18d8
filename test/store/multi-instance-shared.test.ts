/**
 * Issue #11 item 5: two instances of the real server on one PostgreSQL (with Redis, and without) share the
 * admin page's state and refresh each metadata URL once per cycle between them. No sticky sessions: every
 * step below deliberately alternates between the instances.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import {
  type PostgresServer,
  type RunningServer,
  startPostgres,
  startRedis,
  unavailable,
} from '../helpers/db-servers.ts';
import { freePort } from '../helpers/server.ts';
import { idpMetadataXml } from '../sp/metadata-builder.ts';

const skip = unavailable('PostgreSQL') !== undefined || unavailable('Redis') !== undefined;
const TOKEN = 'shared-state-admin-token-0123456789';

describe.skipIf(skip).each([
  { name: 'PostgreSQL and Redis', withRedis: true },
  { name: 'PostgreSQL alone', withRedis: false },
])('admin state and metadata refresh shared by two instances on $name', ({ withRedis }) => {
  let postgres: PostgresServer;
  let redis: RunningServer;
  let dir: string;
  let config: ResolvedConfig;
  let a: AppServer;
  let b: AppServer;
  let urlA: string;
  let urlB: string;
  let metadataServer: Server;
  let metadataUrl: string;
  let fetches = 0;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const databaseUrl = await postgres.createDatabase('shared');
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-shared-'));
    metadataServer = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/samlmetadata+xml');
      res.end(idpMetadataXml({ entityId: 'https://idp.shared.test/metadata', keys: ['idp'] }));
    });
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    metadataUrl = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata`;
    const [portA, portB] = [await freePort(), await freePort()];
    // One BASE_URL for both, as behind a load balancer; each listens on its own port.
    config = loadConfig(
      {
        PORT: String(portA),
        BASE_URL: `http://localhost:${portA}`,
        DATABASE_URL: databaseUrl,
        ...(withRedis ? { REDIS_URL: redis.url } : {}),
        ADMIN_TOKEN: TOKEN,
        CERTS_DIR: path.join(dir, 'certs'),
        DEV_IDP: 'on',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      },
      { cwd: dir },
    );
    a = await createAppServer(config);
    await a.listen(portA, '127.0.0.1');
    b = await createAppServer(config);
    await b.listen(portB, '127.0.0.1');
    urlA = `http://localhost:${portA}`;
    urlB = `http://localhost:${portB}`;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    metadataServer?.closeAllConnections();
    await new Promise((resolve) => metadataServer?.close(resolve));
    await Promise.all([postgres?.stop(), redis?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an admin signed in on A is signed in on B; a test sign-in finishing on B shows its result on A', async () => {
    const browser = new TestBrowser();
    const login = await browser.post(`${urlA}/admin/login`, { token: TOKEN });
    expect(login.status).toBe(303);
    const list = await browser.get(`${urlB}/admin`);
    expect(list.status).toBe(200);
    expect(list.body).toContain('Connections');
    expect(list.body).not.toContain('name="token"');

    // Test sign-in started on A (the run is recorded in the admin session) ...
    const test = await browser.get(`${urlA}/admin/connections/dev/test`);
    expect(test.status).toBe(303);
    const loginPage = await browser.follow(
      await browser.get(new URL(test.headers.get('location')!, urlA).href),
    );
    const answer = await browser.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
    // ... the IdP's POST lands on B, which captures the result ...
    const landed = await browser.post(`${urlB}/saml/dev/acs`, parseForm(answer).fields);
    expect(landed.status).toBe(303);
    const resultPath = landed.headers.get('location')!;
    expect(resultPath).toMatch(/^\/admin\/connections\/dev\/test\/result\?run=/);
    // ... and A shows it.
    const result = await browser.get(`${urlA}${resultPath}`);
    expect(result.status).toBe(200);
    expect(result.body).toContain('alice@example.com');

    // Signing out on B ends the admin session on A.
    const csrf = /name="_csrf" value="([^"]+)"/.exec(list.body)?.[1] ?? '';
    expect((await browser.post(`${urlB}/admin/logout`, { _csrf: csrf })).status).toBe(303);
    expect((await browser.get(`${urlA}/admin`)).body).toContain('name="token"');
  });

  it('refreshes a metadata URL once per cycle between the instances, on a schedule that survives a restart', async () => {
    const created = await fetch(`${urlA}/admin/api/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'shared', displayName: 'Shared', metadataUrl }),
    });
    expect(created.status).toBe(201);
    const afterCreate = fetches;

    // Due now on both instances: each scheduler runs a cycle at the same moment, three times over.
    for (let cycle = 1; cycle <= 3; cycle++) {
      const connection = (await a.stores.connections.get('shared'))!;
      await a.stores.connections.put({
        ...connection,
        metadataStatus: {
          ...connection.metadataStatus!,
          nextRefreshAt: new Date(Date.now() - 1000).toISOString(),
        },
      });
      const fetchesBefore = fetches;
      const [fromA, fromB] = await Promise.all([a.refresher.runDue(), b.refresher.runDue()]);
      expect(fetches - fetchesBefore).toBe(1);
      expect(fromA.length + fromB.length).toBe(1);
    }
    expect(fetches).toBe(afterCreate + 3);

    // The next-due time is stored with the connection: a restarted instance has nothing to do yet.
    const next = (await b.stores.connections.get('shared'))!.metadataStatus!.nextRefreshAt!;
    expect(Date.parse(next)).toBeGreaterThan(Date.now());
    await a.close();
    a = await createAppServer(config);
    await a.listen(config.port, '127.0.0.1');
    expect(await a.refresher.runDue()).toEqual([]);
    expect(fetches).toBe(afterCreate + 3);
  });

  it('counts failed admin sign-ins across the instances', async () => {
    const browser = new TestBrowser();
    for (let i = 0; i < 10; i++) {
      const wrong = await browser.post(`${i % 2 === 0 ? urlA : urlB}/admin/login`, { token: `wrong-${i}` });
      expect(wrong.status).toBe(401);
    }
    // Five failures on each, ten in all: both refuse now, even the right token.
    expect((await browser.post(`${urlA}/admin/login`, { token: 'wrong-again' })).status).toBe(429);
    expect((await browser.post(`${urlB}/admin/login`, { token: TOKEN })).status).toBe(429);
  });
});
