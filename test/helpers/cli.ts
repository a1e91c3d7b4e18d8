/**
 * The saml-sp CLI as an operator runs it: a child process of this Node on src/cli/main.ts, in a folder of its
 * own. Every CLI test spawns it through here, so the exit-code reading and the environment are written once.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '../../src/cli/main.ts');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliSetup {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * Kill the child after this long (default 60 s). Generous on purpose: on a loaded 2-core machine a CLI may need
   * tens of seconds to start, and a killed child exits 1, which reads as a wrong exit code.
   */
  timeoutMs?: number;
}

/** Runs `saml-sp ARGS…`, writing `input` to its standard input when given. Never rejects: read `code`. */
export function runCli(setup: CliSetup, args: readonly string[], input?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: setup.cwd, env: setup.env, timeout: setup.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * The environment of a CLI on the SQLite file `database` and the certs folder inside `dir`, logs silent, and
 * nothing else from this process's environment but PATH (a developer's DATABASE_URL must not leak in).
 */
export function cliEnv(
  dir: string,
  options: { database?: string; baseUrl?: string; extra?: Record<string, string> } = {},
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: `sqlite:${path.join(dir, options.database ?? 'cli.db')}`,
    CERTS_DIR: path.join(dir, 'certs'),
    LOG_LEVEL: 'silent',
    ...(options.baseUrl ? { BASE_URL: options.baseUrl } : {}),
    ...options.extra,
  };
}
