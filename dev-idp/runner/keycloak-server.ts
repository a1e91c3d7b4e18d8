/**
 * Runs Keycloak natively: `kc.sh start-dev` on 127.0.0.1 over http, the realm imported at start-up from
 * data/import, an in-memory H2 database (`--db=dev-mem`, so every start is a fresh import of the current
 * template and nothing goes stale), ready when the realm's SAML descriptor answers, stopped by its PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REALM } from './realm.ts';

export const DEFAULT_KEYCLOAK_PORT = 8080;
export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'admin';

export interface StartKeycloakOptions {
  /** The distribution's home (ensureDistribution). */
  home: string;
  javaHome: string;
  /** The rendered realm JSON (renderRealm). */
  realmJson: string;
  port?: number;
  /**
   * The URL browsers use to reach Keycloak; issuer, endpoints and the descriptor are built from it whatever
   * Host a request carries. Default http://localhost:<port>: on localhost, Keycloak and an SP on another port
   * are same-site, which keeps the SP's SameSite=Lax request cookie on the POST back to the ACS.
   */
  publicUrl?: string;
  /** Where Keycloak's console output goes. Default <home>/../keycloak-<port>.log. */
  logFile?: string;
  /** How long to wait for the descriptor. Default 240 s (first start on 2 cores: about 70 s). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningKeycloak {
  pid: number;
  /** http://localhost:<port> (the public URL). */
  url: string;
  realmUrl: string;
  /** The realm's SAML IdP descriptor (an EntityDescriptor). */
  descriptorUrl: string;
  adminConsoleUrl: string;
  logFile: string;
  /** Milliseconds from spawn to a descriptor answer. */
  startupMs: number;
  /** Stops Keycloak (SIGTERM to its process group, SIGKILL after 20 s); resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts Keycloak and resolves once the realm's SAML descriptor answers 200. One instance per distribution at
 * a time: the realm file goes into the distribution's data/import, and a PID file guards it.
 *
 * @example
 * ```ts
 * const kc = await startKeycloak({ home, javaHome, realmJson, port: 8080 });
 * // ... sign in through kc.realmUrl ...
 * await kc.stop();
 * ```
 */
export async function startKeycloak(options: StartKeycloakOptions): Promise<RunningKeycloak> {
  const port = options.port ?? DEFAULT_KEYCLOAK_PORT;
  const url = (options.publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const log = options.log ?? (() => {});
  const logFile = options.logFile ?? path.join(path.dirname(options.home), `keycloak-${port}.log`);
  const pidFile = path.join(options.home, 'data', 'saml-sp-kit.pid');
  await guardSingleInstance(pidFile);

  const importDir = path.join(options.home, 'data', 'import');
  await mkdir(importDir, { recursive: true });
  for (const name of await readdir(importDir)) {
    if (name.endsWith('.json')) await rm(path.join(importDir, name));
  }
  await writeFile(path.join(importDir, `${REALM}-realm.json`), options.realmJson);

  const out = openSync(logFile, 'w');
  const started = Date.now();
  const child = spawn(
    path.join(options.home, 'bin', 'kc.sh'),
    [
      'start-dev',
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      `--hostname=${url}`,
      '--db=dev-mem',
      '--import-realm',
    ],
    {
      cwd: options.home,
      // Its own process group, so that stop() reaches kc.sh and the JVM it starts, and nothing else.
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        JAVA_HOME: options.javaHome,
        KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN_USERNAME,
        KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      },
    },
  );
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${options.home}/bin/kc.sh`);
  await writeFile(pidFile, String(pid));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });

  const stop = async () => {
    if (!exited) {
      signalGroup(child, 'SIGTERM');
      const kill = setTimeout(() => signalGroup(child, 'SIGKILL'), 20_000);
      await exit;
      clearTimeout(kill);
    }
    await rm(pidFile, { force: true });
  };

  const realmUrl = `${url}/realms/${REALM}`;
  const descriptorUrl = `${realmUrl}/protocol/saml/descriptor`;
  // Poll over 127.0.0.1 (where it listens); the public URL names localhost, which may resolve to ::1 first.
  const probeUrl = `http://127.0.0.1:${port}/realms/${REALM}/protocol/saml/descriptor`;
  const deadline = started + (options.timeoutMs ?? 240_000);
  log(`keycloak: starting on ${url} (PID ${pid}, log ${logFile})`);
  while (true) {
    if (exited) {
      await rm(pidFile, { force: true });
      throw new Error(
        `Keycloak exited (${exited.signal ?? exited.code}) before it was ready.\n${tail(logFile)}`,
      );
    }
    if (await answers(probeUrl)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Keycloak was not ready after ${(Date.now() - started) / 1000} s.\n${tail(logFile)}`);
    }
    await sleep(1000);
  }
  const startupMs = Date.now() - started;
  log(`keycloak: ready in ${(startupMs / 1000).toFixed(1)} s at ${realmUrl}`);
  return { pid, url, realmUrl, descriptorUrl, adminConsoleUrl: `${url}/admin/`, logFile, startupMs, stop };
}

/** Fetches the realm's descriptor XML (to create SP connections from). */
export async function fetchDescriptor(descriptorUrl: string): Promise<string> {
  const response = await fetch(descriptorUrl, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${descriptorUrl} answered ${response.status}`);
  return response.text();
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = await response.text();
    return response.ok && body.includes('EntityDescriptor');
  } catch {
    return false;
  }
}

/** Refuses to start when this distribution already runs (its import folder and H2 files are shared). */
async function guardSingleInstance(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    throw new Error(
      `Keycloak from this checkout already runs (PID ${pid}, ${pidFile}). Stop it first (Ctrl-C in its terminal, or kill ${pid}).`,
    );
  }
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // The negative PID addresses the process group this spawn created (kc.sh and its JVM).
    process.kill(-child.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
