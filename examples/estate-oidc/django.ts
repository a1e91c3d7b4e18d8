/**
 * Runs the example's Django app from Node (the README's steps, for `npm run estate-oidc` and the tests): a
 * Python virtual environment with requirements.txt from PyPI, `manage.py migrate`, then Django's server on
 * loopback. Needs python3 with the venv module (Debian: the python3-venv package).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DJANGO_DIR = path.join(import.meta.dirname, 'django_app');
const REQUIREMENTS = path.join(import.meta.dirname, 'requirements.txt');

/**
 * Creates (or reuses) a virtual environment at `dir` with the pinned requirements; returns its python. A
 * marker file keeps the requirements it was built from, so a changed pin rebuilds it.
 */
export async function ensureVenv(dir: string, log: (line: string) => void = () => {}): Promise<string> {
  const python = path.join(dir, 'bin', 'python');
  const marker = path.join(dir, '.requirements');
  const wanted = await readFile(REQUIREMENTS, 'utf8');
  if (existsSync(python) && existsSync(marker) && (await readFile(marker, 'utf8')) === wanted) return python;
  log(`creating the Python virtual environment in ${dir}`);
  await run('python3', ['-m', 'venv', '--clear', dir], { timeout: 300_000 });
  await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS], {
    timeout: 900_000,
  });
  await writeFile(marker, wanted);
  return python;
}

export interface DjangoSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  apiUrl: string;
  apiResource: string;
  /** Which SAML connection the bridge should use (else organization / login_hint). */
  connection?: string;
  /** The SQLite file of this run. */
  database: string;
}

export interface RunningDjango {
  url: string;
  pid: number;
  /** `manage.py refresh_grants`: one result per offline grant. */
  refreshGrants(): Promise<{ sid: string; sub: string; outcome: 'refreshed' | 'refused' | 'unavailable' }[]>;
  stop(): Promise<void>;
}

/** The environment Django runs with (settings.py reads it). */
export function djangoEnvironment(settings: DjangoSettings): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    DJANGO_SETTINGS_MODULE: 'estate_django.settings',
    DJANGO_DB: settings.database,
    OIDC_ISSUER: settings.issuer,
    OIDC_CLIENT_ID: settings.clientId,
    OIDC_CLIENT_SECRET: settings.clientSecret,
    API_URL: settings.apiUrl,
    API_RESOURCE: settings.apiResource,
    ...(settings.connection ? { OIDC_CONNECTION: settings.connection } : {}),
  };
}

/** Migrates the database and starts Django's server on 127.0.0.1:`port`; resolves once it answers. */
export async function startDjango(
  python: string,
  port: number,
  settings: DjangoSettings,
): Promise<RunningDjango> {
  const env = djangoEnvironment(settings);
  const manage = (...args: string[]) =>
    run(python, ['manage.py', ...args], { cwd: DJANGO_DIR, env, timeout: 120_000 });
  await manage('migrate', '--noinput', '-v', '0');
  const child: ChildProcess = spawn(
    python,
    ['manage.py', 'runserver', `127.0.0.1:${port}`, '--noreload', '--nothreading'],
    {
      cwd: DJANGO_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Django exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/signed-out/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Django did not answer within 60 s:\n${output}`);
    }
    await sleep(250);
  }
  return {
    url,
    pid: child.pid!,
    async refreshGrants() {
      const { stdout } = await manage('refresh_grants');
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    },
    stop,
  };
}
