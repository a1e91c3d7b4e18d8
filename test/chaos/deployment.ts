/**
 * The deployment the chaos test breaks, all on 127.0.0.1: one PostgreSQL, one Redis (no persistence), an
 * IdP metadata server, and two instances of the real server (`saml-sp serve`) as child processes, so that a
 * kill -9 is a real one. Both instances share BASE_URL, the database, Redis and the SP keys, as they would
 * behind a load balancer; the test plays the load balancer. Everything is stopped by its own PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDP_ENTITY_ID } from '../fixtures/build-response.ts';
import {
  canConnectTcp,
  findRedisServer,
  freePort,
  type PostgresServer,
  pidOf,
  startPostgres,
  stopChild,
  waitUntil,
} from '../helpers/db-servers.ts';
import { idpMetadataXml } from '../sp/metadata-builder.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CONNECTION_ID = 'chaos';
export const ADMIN_TOKEN = 'chaos-admin-token-0123456789abcdef';

/** A Redis that can be killed (SIGKILL, nothing saved) and started again empty on the same port. */
export interface ChaosRedis {
  url: string;
  port: number;
  pid(): number;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosRedis(): Promise<ChaosRedis> {
  const binary = findRedisServer();
  if (binary === undefined) throw new Error('redis-server not found');
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-chaos-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(
      binary,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...['--daemonize', 'no', '--dir', dir, '--loglevel', 'warning'],
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = c;
    await waitUntil(c, () => canConnectTcp(port), 'Redis');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => (child === undefined ? 0 : pidOf(child)),
    kill: async () => {
      if (child) await stopChild(child, 'SIGKILL');
    },
    start,
    stop: async () => {
      if (child) await stopChild(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The IdP's metadata URL: a small HTTP server that can die (the "dead metadata URL" fault). */
export interface MetadataServer {
  url: string;
  requests(): number;
  kill(): Promise<void>;
}

export async function startMetadataServer(): Promise<MetadataServer> {
  let count = 0;
  const xml = idpMetadataXml({
    entityId: IDP_ENTITY_ID,
    keys: ['idp'],
    ssoUrl: 'https://idp.example.com/sso',
  });
  const server: Server = createServer((_req, res) => {
    count++;
    res.setHeader('content-type', 'application/samlmetadata+xml');
    res.end(xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/metadata`,
    requests: () => count,
    kill: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One `saml-sp serve` child process on a fixed port. */
export interface Instance {
  name: string;
  port: number;
  /** http://localhost:port: the host cookies are scoped to, shared by both instances as behind one LB. */
  origin: string;
  alive: boolean;
  pid(): number;
  start(): Promise<number>;
  /** kill -9: no shutdown hook runs, in-flight requests are cut. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface DeploymentEnv {
  baseUrl: string;
  databaseUrl: string;
  redisUrl: string;
  certsDir: string;
  /** Server-side cut-off for slow clients (rel-a's settings; ignored by a server that has none). */
  requestTimeoutMs: number;
  logDir: string;
}

export function instance(name: string, port: number, env: DeploymentEnv): Instance {
  let child: ChildProcess | undefined;
  let log: WriteStream | undefined;
  const origin = `http://localhost:${port}`;
  const self: Instance = {
    name,
    port,
    origin,
    alive: false,
    pid: () => (child === undefined ? 0 : pidOf(child)),
    async start() {
      const started = performance.now();
      log ??= createWriteStream(path.join(env.logDir, `instance-${name}.log`), { flags: 'a' });
      const c = spawn(process.execPath, [path.join(REPO, 'src/cli/main.ts'), 'serve'], {
        cwd: REPO,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(port),
          HOST: '127.0.0.1',
          BASE_URL: env.baseUrl,
          DATABASE_URL: env.databaseUrl,
          REDIS_URL: env.redisUrl,
          CERTS_DIR: env.certsDir,
          ADMIN_TOKEN,
          DEV_IDP: 'off',
          LOG_LEVEL: 'warn',
          HTTP_HEADERS_TIMEOUT_MS: String(Math.min(2_000, env.requestTimeoutMs)),
          HTTP_REQUEST_TIMEOUT_MS: String(env.requestTimeoutMs),
          SHUTDOWN_TIMEOUT_MS: '5000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      c.stdout?.pipe(log, { end: false });
      c.stderr?.pipe(log, { end: false });
      // Ready when it answers HTTP: /me without a cookie is a 401 that needs no store.
      await waitUntil(c, () => answers(origin), `instance ${name}`);
      self.alive = true;
      return Math.round(performance.now() - started);
    },
    async kill() {
      self.alive = false;
      if (child) await stopChild(child, 'SIGKILL');
    },
    async stop() {
      self.alive = false;
      if (child) await stopChild(child, 'SIGTERM');
      log?.end();
    },
  };
  return self;
}

async function answers(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/me`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

export interface Deployment {
  postgres: PostgresServer;
  databaseUrl: string;
  redis: ChaosRedis;
  metadata: MetadataServer;
  instances: [Instance, Instance];
  baseUrl: string;
  dir: string;
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * Starts everything, A before B (A writes the SP keys, B reads them, as in a rolling start), then creates the
 * connection `chaos` from the metadata URL, with IdP-initiated sign-in allowed so that replays of unsolicited
 * responses (which no request ID protects) are exercised.
 */
export async function startDeployment(options: { requestTimeoutMs: number }): Promise<Deployment> {
  const started = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-chaos-'));
  const [postgres, redis, metadata] = await Promise.all([
    startPostgres(),
    startChaosRedis(),
    startMetadataServer(),
  ]);
  const stopServers = async () => {
    await Promise.all([postgres.stop(), redis.stop(), metadata.kill().catch(() => {})]);
  };
  let instances: [Instance, Instance] | undefined;
  try {
    const databaseUrl = await postgres.createDatabase('chaos');
    const [portA, portB] = [await freePort(), await freePort()];
    const env: DeploymentEnv = {
      baseUrl: `http://localhost:${portA}`,
      databaseUrl,
      redisUrl: redis.url,
      certsDir: path.join(dir, 'certs'),
      requestTimeoutMs: options.requestTimeoutMs,
      logDir: dir,
    };
    instances = [instance('A', portA, env), instance('B', portB, env)];
    await instances[0].start();
    await instances[1].start();
    const created = await fetch(`${instances[0].origin}/admin/api/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: CONNECTION_ID,
        displayName: 'Chaos IdP',
        metadataUrl: metadata.url,
        preset: 'generic',
        allowIdpInitiated: true,
        // The chaos IdP addresses its assertions to BASE_URL, the shared SP entity ID (not the per-connection one).
        spEntityIdMode: 'shared',
      }),
    });
    if (created.status !== 201)
      throw new Error(`creating the connection: ${created.status} ${await created.text()}`);
    const running = instances;
    return {
      postgres,
      databaseUrl,
      redis,
      metadata,
      instances: running,
      baseUrl: env.baseUrl,
      dir,
      startupMs: Math.round(performance.now() - started),
      async stop() {
        await Promise.all(running.map((i) => i.stop()));
        await stopServers();
        if (process.env.CHAOS_KEEP_LOGS === undefined) rmSync(dir, { recursive: true, force: true });
        else console.info(`chaos: instance logs kept in ${dir}`);
      },
    };
  } catch (error) {
    await Promise.all((instances ?? []).map((i) => i.stop()));
    await stopServers();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
