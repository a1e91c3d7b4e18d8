/**
 * Runs Keycloak natively: `kc.sh start-dev` on 127.0.0.1 over http, the realm imported at start-up, an
 * in-memory H2 database (`--db=dev-mem`, so every start is a fresh import of the current template and nothing
 * goes stale), ready when the realm's SAML descriptor answers, stopped by its PID.
 *
 * Each run gets its own Keycloak home in a temporary folder: a copy of kc.sh, links to the distribution's lib,
 * conf, providers and themes, and its own data/ (import folder, transaction logs). So `npm run keycloak` and an
 * e2e run, or two e2e runs, can share one downloaded distribution. Only the start-up is serialised (a lock file in
 * the distribution), because a first start writes the distribution's lib/quarkus.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
 * Starts Keycloak and resolves once the realm's SAML descriptor answers 200.
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
  const releaseLock = await acquireStartLock(options.home, options.timeoutMs ?? 240_000, log);
  const instance = await createInstance(options.home, options.realmJson).catch(async (err: unknown) => {
    await releaseLock();
    throw err;
  });

  const out = openSync(logFile, 'w');
  const started = Date.now();
  const child = spawn(
    path.join(instance, 'bin', 'kc.sh'),
    [
      'start-dev',
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      `--hostname=${url}`,
      '--db=dev-mem',
      '--import-realm',
    ],
    {
      cwd: instance,
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
  if (pid === undefined) {
    await releaseLock();
    await rm(instance, { recursive: true, force: true });
    throw new Error(`could not start ${instance}/bin/kc.sh`);
  }
  await writeFile(path.join(instance, 'keycloak.pid'), String(pid));
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
    await releaseLock();
    await rm(instance, { recursive: true, force: true });
  };

  const realmUrl = `${url}/realms/${REALM}`;
  const descriptorUrl = `${realmUrl}/protocol/saml/descriptor`;
  // Poll over 127.0.0.1 (where it listens); the public URL names localhost, which may resolve to ::1 first.
  const probeUrl = `http://127.0.0.1:${port}/realms/${REALM}/protocol/saml/descriptor`;
  const deadline = started + (options.timeoutMs ?? 240_000);
  log(`keycloak: starting on ${url} (PID ${pid}, home ${instance}, log ${logFile})`);
  while (true) {
    if (exited) {
      await stop();
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
  await releaseLock();
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

/** A Keycloak home of its own: kc.sh copied (it derives the home from its own path), the rest linked. */
async function createInstance(home: string, realmJson: string): Promise<string> {
  const instance = await mkdtemp(path.join(tmpdir(), 'saml-sp-kit-keycloak-'));
  await mkdir(path.join(instance, 'bin'));
  await copyFile(path.join(home, 'bin', 'kc.sh'), path.join(instance, 'bin', 'kc.sh'));
  await chmod(path.join(instance, 'bin', 'kc.sh'), 0o755);
  for (const entry of await readdir(home)) {
    if (entry === 'bin' || entry === 'data' || entry.startsWith('.')) continue;
    await symlink(path.join(home, entry), path.join(instance, entry));
  }
  await mkdir(path.join(instance, 'data', 'import'), { recursive: true });
  await writeFile(path.join(instance, 'data', 'import', `${REALM}-realm.json`), realmJson);
  return instance;
}

/**
 * Serialises start-ups on one distribution: the lock file names the Node process that holds it, and a lock
 * whose process is gone is taken over. Resolves with the release function (safe to call twice).
 */
async function acquireStartLock(home: string, timeoutMs: number, log: (line: string) => void) {
  const lock = path.join(home, '.start.lock');
  const deadline = Date.now() + timeoutMs;
  let told = false;
  while (true) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (!(Number.isInteger(holder) && holder > 0 && isAlive(holder))) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Another Keycloak start (process ${holder}) holds ${lock}.`);
      if (!told) log(`keycloak: waiting for another Keycloak start (process ${holder}) to finish`);
      told = true;
      await sleep(1000);
    }
  }
  let held = true;
  return async () => {
    if (!held) return;
    held = false;
    await rm(lock, { force: true });
  };
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
