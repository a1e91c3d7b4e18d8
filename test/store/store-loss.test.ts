/**
 * Issue #11, items 2 and 3: losing Redis (restart without persistence, failover to an empty replica, FLUSHALL)
 * or restarting the server must neither re-open an accepted assertion nor sign anybody out.
 *
 * The real server runs on PostgreSQL or a SQLite file, with a real redis-server on loopback that the test
 * kills by PID and starts again empty on the same port. The replayed responses are IdP-initiated (no
 * InResponseTo): for those the replay record is the only defence, since there is no consumed request ID to
 * refuse them as well.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config.ts';
import { type AppServer, createAppServer } from '../../src/server.ts';
import { buildConnection, buildResponse, IDP_ENTITY_ID } from '../fixtures/build-response.ts';
import { TestBrowser } from '../helpers/browser.ts';
import {
  type PostgresServer,
  type RedisServer,
  startPostgres,
  startRedis,
  unavailable,
} from '../helpers/db-servers.ts';
import { freePort } from '../helpers/server.ts';

const SESSIONS = 50;
const skipRedis = unavailable('Redis') !== undefined;
const skipPostgres = unavailable('PostgreSQL') !== undefined;

type Json = { error?: { code?: string } };

/** An IdP-initiated response for `acme` at `baseUrl`, signed with the fixture IdP key, fresh IDs. */
function idpInitiatedResponse(baseUrl: string, nameId: string): Promise<string> {
  const acsUrl = `${baseUrl}/saml/acme/acs`;
  return buildResponse({
    now: new Date(),
    issuer: IDP_ENTITY_ID,
    inResponseTo: null,
    audience: baseUrl,
    destination: acsUrl,
    recipient: acsUrl,
    nameId,
    responseId: `_r${randomUUID()}`,
    assertionId: `_a${randomUUID()}`,
  });
}

async function post(browser: TestBrowser, baseUrl: string, samlResponse: string) {
  const answer = await browser.post(
    `${baseUrl}/saml/acme/acs`,
    { SAMLResponse: samlResponse },
    { accept: 'application/json' },
  );
  const code = answer.status >= 400 ? (JSON.parse(answer.body) as Json).error?.code : undefined;
  return { status: answer.status, code };
}

async function signedIn(browser: TestBrowser, baseUrl: string): Promise<boolean> {
  return (await browser.get(`${baseUrl}/me`, { accept: 'application/json' })).status === 200;
}

function configFor(dir: string, port: number, env: Record<string, string>): ResolvedConfig {
  return loadConfig(
    {
      PORT: String(port),
      BASE_URL: `http://localhost:${port}`,
      CERTS_DIR: path.join(dir, 'certs'),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...env,
    },
    { cwd: dir },
  );
}

async function startServer(config: ResolvedConfig): Promise<AppServer> {
  const server = await createAppServer(config);
  await server.listen(config.port, '127.0.0.1');
  await server.stores.connections.put(buildConnection({ id: 'acme', policy: { allowIdpInitiated: true } }));
  return server;
}

describe.skipIf(skipRedis)('a Redis restart without persistence', () => {
  let redis: RedisServer;
  let postgres: PostgresServer | undefined;
  let dir: string;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([
      startRedis(),
      skipPostgres ? Promise.resolve(undefined) : startPostgres(),
    ]);
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-store-loss-'));
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), postgres?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const databases = [
    { name: 'PostgreSQL', postgres: true },
    { name: 'a SQLite file', postgres: false },
  ];
  for (const database of databases) {
    it.skipIf(database.postgres && skipPostgres)(
      `on ${database.name}: no session is lost and no used assertion is accepted again`,
      async () => {
        const port = await freePort();
        const databaseUrl = database.postgres
          ? await postgres!.createDatabase()
          : `sqlite:${path.join(dir, `${randomUUID()}.db`)}`;
        const config = configFor(dir, port, { DATABASE_URL: databaseUrl, REDIS_URL: redis.url });
        const server = await startServer(config);
        const base = config.baseUrl;
        try {
          const browsers = Array.from({ length: SESSIONS }, () => new TestBrowser());
          const used: string[] = [];
          const started = performance.now();
          for (const [i, browser] of browsers.entries()) {
            const response = await idpInitiatedResponse(base, `user${i}@example.com`);
            expect(await post(browser, base, response)).toEqual({ status: 303, code: undefined });
            used.push(response);
          }
          const signInMs = performance.now() - started;
          // Before the loss, the replay is refused as it always was.
          expect(await post(new TestBrowser(), base, used[0]!)).toEqual({
            status: 400,
            code: 'SAML_REPLAYED',
          });

          const oldPid = redis.pid;
          let aliveWhileDown = 0;
          let refusedWhileDown = 0;
          await redis.restart(async () => {
            // While Redis is down: sessions and the replay record do not depend on it.
            for (const browser of browsers) if (await signedIn(browser, base)) aliveWhileDown++;
            const replay = await post(new TestBrowser(), base, used[1]!);
            if (replay.status === 400 && replay.code === 'SAML_REPLAYED') refusedWhileDown++;
          });
          expect(aliveWhileDown).toBe(SESSIONS);
          expect(refusedWhileDown).toBe(1);
          expect(redis.pid).not.toBe(oldPid);
          // Redis is back, empty. The server's client reconnects by itself; a sign-in start (which writes a
          // request ID to Redis) tells when.
          const back = performance.now();
          let recoveredMs = -1;
          while (performance.now() - back < 10_000) {
            const start = await new TestBrowser().get(`${base}/saml/acme/login`);
            if (start.status === 302) {
              recoveredMs = performance.now() - back;
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          expect(recoveredMs).toBeGreaterThanOrEqual(0);

          let alive = 0;
          for (const browser of browsers) if (await signedIn(browser, base)) alive++;
          expect(alive).toBe(SESSIONS);

          // Every assertion accepted before the loss is still refused, on a browser that never saw it too.
          const replays = await Promise.all(used.map((response) => post(new TestBrowser(), base, response)));
          expect(replays.filter((r) => r.status === 400 && r.code === 'SAML_REPLAYED')).toHaveLength(
            SESSIONS,
          );

          // And new sign-ins work.
          const fresh = new TestBrowser();
          expect(await post(fresh, base, await idpInitiatedResponse(base, 'late@example.com'))).toEqual({
            status: 303,
            code: undefined,
          });
          expect(await signedIn(fresh, base)).toBe(true);
          console.info(
            `${database.name} + Redis: ${SESSIONS} sign-ins in ${Math.round(signInMs)} ms; while Redis was down ` +
              `${aliveWhileDown}/${SESSIONS} sessions answered /me and the replay was refused; after the Redis ` +
              `restart (pid ${oldPid} -> ${redis.pid}) sign-in starts worked again after ${Math.round(recoveredMs)} ms; ` +
              `${alive}/${SESSIONS} sessions alive; ${SESSIONS}/${SESSIONS} replays refused with SAML_REPLAYED`,
          );
        } finally {
          await server.close();
        }
      },
    );
  }
});

describe('a server restart on its SQLite file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-restart-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the session and refuses an assertion used before the restart (default in-process caches)', async () => {
    const port = await freePort();
    const config = configFor(dir, port, { DATABASE_URL: `sqlite:${path.join(dir, 'sp.db')}` });
    const base = config.baseUrl;
    const browser = new TestBrowser();
    const response = await idpInitiatedResponse(base, 'alice@example.com');

    const first = await startServer(config);
    try {
      expect(await post(browser, base, response)).toEqual({ status: 303, code: undefined });
    } finally {
      await first.close();
    }

    const second = await startServer(config);
    try {
      expect(await signedIn(browser, base)).toBe(true);
      expect(await post(new TestBrowser(), base, response)).toEqual({ status: 400, code: 'SAML_REPLAYED' });
    } finally {
      await second.close();
    }
  });
});
