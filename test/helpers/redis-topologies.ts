/**
 * Redis as managed services run it, started on 127.0.0.1 by the tests from Debian's redis-server,
 * redis-sentinel and redis-cli: a three-master Redis Cluster, and a primary with a replica watched by three
 * Sentinels. Every process runs in a temporary directory with no persistence and is stopped by its own PID.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  canConnectTcp,
  findRedisServer,
  freePort,
  isExecutable,
  pidOf,
  stopChild,
  unavailable,
  waitUntil,
} from './db-servers.ts';

const run = promisify(execFile);

/** One redis-server or redis-sentinel process of a topology. */
export interface RedisNode {
  port: number;
  pid: number;
  role: 'master' | 'replica' | 'sentinel';
  /** SIGKILL: the node dies as in a crash. */
  kill(): Promise<void>;
}

export interface RedisTopology {
  /** The REDIS_URL a deployment would be given. */
  url: string;
  nodes: RedisNode[];
  startupMs: number;
  /** `redis-cli -p port …` against one node; resolves with its output. */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function findRedisTool(name: 'redis-cli' | 'redis-sentinel'): string | undefined {
  const server = findRedisServer();
  const candidates = [
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, name)),
    ...(server === undefined ? [] : [path.join(path.dirname(server), name)]),
    `/usr/bin/${name}`,
  ];
  return candidates.find((file) => file !== '' && isExecutable(file));
}

/** Why Cluster or Sentinel cannot run here (undefined when they can); in CI a reason is an error. */
export function topologyUnavailable(): string | undefined {
  const redis = unavailable('Redis');
  if (redis !== undefined) return redis;
  const missing = (['redis-cli', 'redis-sentinel'] as const).filter((t) => findRedisTool(t) === undefined);
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(' and ')} not found: apt-get install redis-server (Debian ships redis-sentinel and redis-cli with it)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(reason);
  console.warn(`Skipping the Redis Cluster and Sentinel tests: ${reason}`);
  return reason;
}

interface Spawned {
  child: ChildProcess;
  port: number;
}

async function spawnRedis(
  dir: string,
  binary: string,
  args: (port: number) => string[],
  what: string,
  configFile?: (port: number) => string,
): Promise<Spawned> {
  // A port free a moment ago can be taken by the time redis binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const file = configFile?.(port);
    const child = spawn(binary, [...(file === undefined ? [] : [file]), ...args(port)], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      await waitUntil(child, () => canConnectTcp(port), what);
      return { child, port };
    } catch (error) {
      await stopChild(child, 'SIGKILL');
      if (attempt >= 3) throw error;
    }
  }
}

function nodeOf(spawned: Spawned, role: RedisNode['role']): RedisNode {
  return {
    port: spawned.port,
    pid: pidOf(spawned.child),
    role,
    kill: () => stopChild(spawned.child, 'SIGKILL'),
  };
}

const commonArgs = (dir: string, port: number) => [
  ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  ...['--daemonize', 'no', '--dir', dir, '--loglevel', 'warning'],
];

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

function cliOf(): (port: number, ...args: string[]) => Promise<string> {
  const cli = findRedisTool('redis-cli');
  if (cli === undefined) throw new Error('redis-cli not found');
  return async (port, ...args) =>
    (await run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;
}

/**
 * Three redis-server --cluster-enabled masters (no replicas), joined with `redis-cli --cluster create`, ready
 * once every node reports cluster_state:ok and agrees on the slots. The URL names one seed node, as a
 * managed service's configuration endpoint does; node-redis discovers the other two.
 */
export async function startRedisCluster(): Promise<RedisTopology> {
  const server = findRedisServer();
  if (server === undefined) throw new Error('redis-server not found');
  const cli = cliOf();
  const started = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-redis-cluster-'));
  const spawned: Spawned[] = [];
  const stop = async () => {
    await Promise.all(spawned.map((s) => stopChild(s.child, 'SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      spawned.push(
        await spawnRedis(
          dir,
          server,
          (port) => [
            ...commonArgs(dir, port),
            ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
            ...['--cluster-node-timeout', '2000'],
          ],
          'Redis Cluster node',
        ),
      );
    }
    const ports = spawned.map((s) => s.port);
    await run(
      findRedisTool('redis-cli') ?? 'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    await until('the cluster did not reach cluster_state:ok on every node', async () => {
      for (const port of ports) {
        const info = await cli(port, 'cluster', 'info');
        if (!/cluster_state:ok/.test(info) || !/cluster_known_nodes:3/.test(info)) return false;
        if (!/cluster_slots_ok:16384/.test(info)) return false;
      }
      return true;
    });
    return {
      url: `redis+cluster://127.0.0.1:${ports[0]}`,
      nodes: spawned.map((s) => nodeOf(s, 'master')),
      startupMs: Math.round(performance.now() - started),
      cli,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const SENTINEL_MASTER_NAME = 'saml-sp-primary';

export interface SentinelTopology extends RedisTopology {
  master: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** The address the Sentinels currently give for the master. */
  currentMaster(): Promise<number>;
}

/**
 * A primary, one replica (`--replicaof`), and three Sentinels (quorum 2) monitoring it as
 * {@link SENTINEL_MASTER_NAME}, with a 1 s down-after so that a failover test takes seconds, not minutes.
 * Ready once every Sentinel knows the replica and the other Sentinels.
 */
export async function startRedisSentinel(): Promise<SentinelTopology> {
  const server = findRedisServer();
  const sentinelBin = findRedisTool('redis-sentinel');
  if (server === undefined || sentinelBin === undefined)
    throw new Error('redis-server or redis-sentinel not found');
  const cli = cliOf();
  const started = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-redis-sentinel-'));
  const spawned: Spawned[] = [];
  const stop = async () => {
    await Promise.all(spawned.map((s) => stopChild(s.child, 'SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const master = await spawnRedis(dir, server, (port) => commonArgs(dir, port), 'Redis primary');
    spawned.push(master);
    const replica = await spawnRedis(
      dir,
      server,
      (port) => [...commonArgs(dir, port), '--replicaof', '127.0.0.1', String(master.port)],
      'Redis replica',
    );
    spawned.push(replica);
    await until('the replica did not sync with the primary', async () =>
      /master_link_status:up/.test(await cli(replica.port, 'info', 'replication')),
    );
    const sentinels: Spawned[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await spawnRedis(
        dir,
        sentinelBin,
        (port) => ['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', dir],
        'Redis Sentinel',
        // Sentinel rewrites its configuration file as it learns the topology: one writable file each.
        (port) => {
          const file = path.join(dir, `sentinel-${port}.conf`);
          writeFileSync(
            file,
            [
              `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
              `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
              `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
              `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
              'loglevel warning',
              '',
            ].join('\n'),
          );
          return file;
        },
      );
      sentinels.push(s);
      spawned.push(s);
    }
    await until('the Sentinels did not discover the replica and each other', async () => {
      for (const s of sentinels) {
        const info = await cli(s.port, 'sentinel', 'master', SENTINEL_MASTER_NAME);
        const fields = info.trim().split('\n');
        const value = (name: string) => fields[fields.indexOf(name) + 1];
        if (value('num-slaves') !== '1' || value('num-other-sentinels') !== '2') return false;
        if (value('flags') !== 'master') return false;
      }
      return true;
    });
    const first = sentinels[0];
    if (first === undefined) throw new Error('no Sentinel started');
    return {
      url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${SENTINEL_MASTER_NAME}`,
      nodes: spawned.map((s, i) => nodeOf(s, i === 0 ? 'master' : i === 1 ? 'replica' : 'sentinel')),
      master: nodeOf(master, 'master'),
      replica: nodeOf(replica, 'replica'),
      sentinels: sentinels.map((s) => nodeOf(s, 'sentinel')),
      startupMs: Math.round(performance.now() - started),
      cli,
      async currentMaster() {
        const out = await cli(first.port, 'sentinel', 'get-master-addr-by-name', SENTINEL_MASTER_NAME);
        return Number(out.trim().split('\n')[1]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
