/**
 * Real PostgreSQL and Redis servers for the store tests, started on 127.0.0.1 with a free port and a
 * temporary directory, stopped by their own PID. Nothing here talks to a server the test did not start.
 *
 * PostgreSQL refuses to run as root, so under root (CI, this container) initdb and postgres run as the
 * `postgres` system user that Debian's package creates, in a temporary directory it owns.
 *
 * A missing binary skips the suites with a clear message on a developer's machine, and fails them in CI
 * (`CI=true`), where .ci/run installs both servers.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface RunningServer {
  url: string;
  port: number;
  pid: number;
  /** Milliseconds from the first command (initdb for PostgreSQL) to accepting connections. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface PostgresServer extends RunningServer {
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /**
   * An outage: stops the server by its PID (fast shutdown: open sessions are terminated with 57P01, then
   * connections are refused), keeping its data. {@link resume} starts it again on the same port.
   */
  pause(): Promise<void>;
  /** Starts the paused server again (same data, same port); resolves once it accepts queries. */
  resume(): Promise<void>;
}

/** Why a server cannot run here, or undefined when it can. In CI a reason is an error, never a skip. */
export function unavailable(what: 'PostgreSQL' | 'Redis'): string | undefined {
  const reason =
    what === 'PostgreSQL'
      ? findPostgresBinDir() === undefined
        ? 'PostgreSQL binaries (initdb, postgres) not found: apt-get install postgresql, or set PG_BIN_DIR'
        : isRoot() && postgresUser() === undefined
          ? 'running as root and no "postgres" system user to run PostgreSQL as'
          : undefined
      : findRedisServer() === undefined
        ? 'redis-server not found: apt-get install redis-server, or set REDIS_SERVER'
        : undefined;
  if (reason === undefined) return undefined;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${what} is required in CI: ${reason}`);
  }
  console.warn(`Skipping the ${what} store tests: ${reason}`);
  return reason;
}

/** initdb's and postgres's folder: PG_BIN_DIR, else Debian's newest /usr/lib/postgresql/N/bin, else PATH. */
export function findPostgresBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN_DIR) candidates.push(process.env.PG_BIN_DIR);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((v) => path.join(debian, v, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
  return candidates.find(
    (dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres')),
  );
}

export function findRedisServer(): string | undefined {
  const candidates = [
    ...(process.env.REDIS_SERVER ? [process.env.REDIS_SERVER] : []),
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/sbin/redis-server',
  ];
  return candidates.find((file) => file !== '' && isExecutable(file));
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * initdb + postgres on a free loopback port, tuned for tests (no fsync: the data dir is thrown away).
 * Trust authentication on 127.0.0.1 only; the superuser is `postgres`.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBinDir();
  if (bin === undefined) throw new Error('PostgreSQL binaries not found');
  const started = performance.now();
  const owner = isRoot() ? postgresUser() : undefined;
  if (isRoot() && owner === undefined) throw new Error('no "postgres" system user to run PostgreSQL as');
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-pg-'));
  const as = owner === undefined ? {} : { uid: owner.uid, gid: owner.gid };
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const data = path.join(dir, 'data');
  try {
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'],
      { ...as, cwd: dir, stdio: 'pipe', env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${output(error)}`, { cause: error });
  }
  // A port free a moment ago can be taken by the time postgres binds it: try a few.
  const spawnOn = (port: number) =>
    spawn(
      path.join(bin, 'postgres'),
      [
        ...['-D', data, '-p', String(port), '-k', dir],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
        ...['-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB'],
      ],
      { ...as, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
    );
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let child = spawnOn(port);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitUntil(child, () => canConnect(url), 'PostgreSQL');
    } catch (error) {
      await stopChild(child, 'SIGKILL');
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    let databases = 0;
    const running: PostgresServer = {
      url,
      port,
      pid: pidOf(child),
      startupMs: Math.round(performance.now() - started),
      async createDatabase(name = `db${++databases}`) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          // FILE_COPY is much faster than PostgreSQL 15's default WAL_LOG strategy for a small template.
          await client.query(`CREATE DATABASE "${name}" TEMPLATE template0 STRATEGY FILE_COPY`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      async pause() {
        await stopChild(child, 'SIGINT');
      },
      async resume() {
        if (child.exitCode === null && child.signalCode === null) return;
        child = spawnOn(port);
        await waitUntil(child, () => canConnect(url), 'PostgreSQL');
        running.pid = pidOf(child);
      },
      async stop() {
        // SIGTERM is PostgreSQL's "smart shutdown": it waits for the sessions to end. pg's Pool.end() resolves
        // before its sockets have closed, and a session ended by the server meanwhile (57P01) reaches a client
        // whose error listener is gone: Vitest reports that as an uncaught error. Sessions still open after 2 s
        // get the "fast shutdown" (SIGINT: roll back open transactions, end sessions, exit).
        const fast = setTimeout(() => child.kill('SIGINT'), 2_000);
        await stopChild(child, 'SIGTERM');
        clearTimeout(fast);
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return running;
  }
}

/** A Redis the test can also restart in place: same port, empty data (no persistence), a new PID. */
export interface RedisServer extends RunningServer {
  /**
   * Kills the server by its PID (SIGKILL: nothing is saved, as in a crash or a failover to an empty
   * replica), runs `whileDown` if given (the outage), and starts a fresh one on the same port. Resolves once
   * the new one answers PING; `pid` is then the new PID.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/** redis-server on a free loopback port, with no persistence. */
export async function startRedis(): Promise<RedisServer> {
  const server = findRedisServer();
  if (server === undefined) throw new Error('redis-server not found');
  const started = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-redis-'));
  const spawnOn = (port: number) =>
    spawn(
      server,
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...['--daemonize', 'no', '--dir', dir, '--loglevel', 'warning'],
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let child = spawnOn(port);
    const url = `redis://127.0.0.1:${port}`;
    try {
      await waitUntil(child, () => canConnectTcp(port), 'Redis');
    } catch (error) {
      await stopChild(child, 'SIGKILL');
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const running: RedisServer = {
      url,
      port,
      pid: pidOf(child),
      startupMs: Math.round(performance.now() - started),
      async restart(whileDown) {
        await stopChild(child, 'SIGKILL');
        await whileDown?.();
        child = spawnOn(port);
        await waitUntil(child, () => canConnectTcp(port), 'Redis');
        running.pid = pidOf(child);
      },
      async stop() {
        await stopChild(child, 'SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return running;
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (!existsSync('/etc/passwd')) return undefined;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === 'postgres' && uid !== undefined && gid !== undefined) {
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `ready` until it answers true; fails early when the server exits, with its last stderr lines. */
export async function waitUntil(
  child: ChildProcess,
  ready: () => Promise<boolean>,
  what: string,
): Promise<void> {
  let stderr = '';
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  // If the test process dies without stopping the server, take the server with it.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) throw new Error(`${what} did not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited during startup (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} did not accept connections within 30 s: ${stderr}`);
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function canConnectTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      // A PING answered with +PONG proves Redis is serving, not merely listening.
      socket.write('PING\r\n');
    });
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  // No PID: it never started (spawn failed), and may never report an exit.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timeout = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timeout);
}

export function pidOf(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('server process has no PID');
  return child.pid;
}

function output(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'stderr' in error) return String(error.stderr);
  return error instanceof Error ? error.message : String(error);
}
