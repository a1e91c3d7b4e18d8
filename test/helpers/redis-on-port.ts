/**
 * A redis-server on a given loopback port: how a test brings Redis back after stopping the one that
 * db-servers.ts started (same URL, empty data, as after a restart without persistence). Stopped by its PID.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findRedisServer } from './db-servers.ts';

export interface PortRedis {
  pid: number;
  stop(): Promise<void>;
}

export async function startRedisOnPort(port: number): Promise<PortRedis> {
  const binary = findRedisServer();
  if (binary === undefined) throw new Error('redis-server not found');
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-sp-redis-again-'));
  const child = spawn(
    binary,
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--daemonize', 'no', '--dir', dir, '--loglevel', 'warning'],
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server did not start');
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!(await answersPing(port))) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`redis-server on ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      process.off('exit', orphanGuard);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
