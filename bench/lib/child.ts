/**
 * A server under benchmark, in a child process: started (optionally pinned to CPU cores with `taskset`),
 * awaited until it prints its "listening on" line, measured from /proc (RSS, CPU time), and stopped.
 * Shared by bench:memory and bench:http.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface BenchChild {
  child: ChildProcess;
  exitCode(): number | string | undefined;
  tail(): string;
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Node flags and the script with its arguments. */
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** CPU list for `taskset -c` (e.g. "1"): the server gets that core and no other. */
  cpus?: string | undefined;
  /** How long the server may take to print "listening on". Default 60 s. */
  startTimeoutMs?: number;
}

/** Starts a Node server in a child process and resolves once it prints "listening on". */
export async function startChild(options: ChildOptions): Promise<BenchChild> {
  // `taskset` execs node in place: the child's pid is the server's, so /proc/<pid> measures the server.
  const [command, args] = options.cpus
    ? ['taskset', ['-c', options.cpus, process.execPath, ...options.args]]
    : [process.execPath, options.args];
  const child = spawn(command, args, {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...options.env },
  });
  let output = '';
  let exit: number | string | undefined;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', (code, signal) => {
    exit = code ?? signal ?? 'unknown';
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!output.includes('listening on')) {
    if (exit !== undefined || Date.now() > deadline) throw new Error(`server did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    exitCode: () => exit,
    tail: () => output.slice(-1500),
    stop: async () => {
      if (exit !== undefined) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** Resident set size of a process, from /proc (Linux). */
export async function rssOf(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb * 1024;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on every Linux Node supports). */
const USER_HZ = 100;

/** CPU time (user + system, every thread) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export async function cpuMsOf(child: ChildProcess): Promise<number> {
  const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / USER_HZ;
}

export function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MB`;
}

/** The environment of the product server (`saml-sp serve`) under benchmark: SQLite in `dir`, no dev IdP. */
export function productServerEnv(dir: string, port: number, adminToken: string): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${dir}/bench.db`,
    CERTS_DIR: `${dir}/certs`,
    ADMIN_TOKEN: adminToken,
    DEV_IDP: 'off',
    LOG_LEVEL: 'warn',
  };
}
