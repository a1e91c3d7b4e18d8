/**
 * The Keycloak server distribution (org.keycloak:keycloak-quarkus-dist), fetched through Maven so that only
 * Maven's own configured repository is used (no URL written here), unpacked once into a git-ignored cache, and a
 * JDK to run it with.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** The pinned Keycloak release: 26.6+ supports Java 25; 26.7.3 is the newest release Maven serves here. */
export const KEYCLOAK_VERSION = '26.7.3';
/** Pinned, because Maven 3.8.7 otherwise resolves dependency:copy to the plugin's 2.8 release. */
export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
/** Default cache folder: dev-idp/.cache (git-ignored through the root .gitignore's `.cache/`). */
export const DEFAULT_CACHE_DIR = path.resolve(import.meta.dirname, '..', '.cache');

export interface DistributionOptions {
  cacheDir?: string;
  version?: string;
  log?: (line: string) => void;
}

/**
 * The unpacked distribution's home folder (with bin/kc.sh), downloading and unpacking it on first use.
 * The tar.gz artifact is used rather than the zip: tar is on every Debian machine and keeps kc.sh executable.
 *
 * @example
 * ```ts
 * const home = await ensureDistribution({ log: console.log }); // .../dev-idp/.cache/keycloak-26.7.3
 * ```
 */
export async function ensureDistribution(options: DistributionOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const version = options.version ?? KEYCLOAK_VERSION;
  const log = options.log ?? (() => {});
  const home = path.join(cacheDir, `keycloak-${version}`);
  if (existsSync(path.join(home, 'bin', 'kc.sh'))) return home;

  await mkdir(cacheDir, { recursive: true });
  const archive = path.join(cacheDir, `keycloak-quarkus-dist-${version}.tar.gz`);
  if (!existsSync(archive)) {
    const started = Date.now();
    log(`keycloak: downloading org.keycloak:keycloak-quarkus-dist:${version}:tar.gz with Maven`);
    await run('mvn', [
      '-B',
      '-q',
      `${DEPENDENCY_PLUGIN}:copy`,
      `-Dartifact=org.keycloak:keycloak-quarkus-dist:${version}:tar.gz`,
      `-DoutputDirectory=${cacheDir}`,
    ]).catch((err: unknown) => {
      throw new Error(
        `Could not download Keycloak with Maven (${(err as Error).message}). Install Maven (Debian: apt-get install maven) ` +
          'and check that it reaches its repository.',
        { cause: err },
      );
    });
    log(`keycloak: downloaded in ${seconds(started)}`);
  }

  // Unpack beside the target and rename, so that an interrupted unpack never looks like a complete one.
  const started = Date.now();
  const staging = path.join(cacheDir, `.unpack-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await run('tar', ['-xzf', archive, '-C', staging]);
  const [top] = await readdir(staging);
  if (!top || !existsSync(path.join(staging, top, 'bin', 'kc.sh'))) {
    throw new Error(
      `${archive} does not hold a Keycloak distribution (no */bin/kc.sh); delete it and try again.`,
    );
  }
  await rm(home, { recursive: true, force: true });
  await rename(path.join(staging, top), home);
  await rm(staging, { recursive: true, force: true });
  // Maven keeps its own copy in the local repository; this one has served its purpose.
  await rm(archive, { force: true });
  log(`keycloak: unpacked into ${home} in ${seconds(started)}`);
  return home;
}

export interface Jdk {
  javaHome: string;
  /** The major version, e.g. 25. */
  major: number;
}

/**
 * The JDK to run Keycloak with: JAVA_HOME when set, else the newest JDK under /usr/lib/jvm (Temurin 25 on this
 * project's machines). Keycloak 26.7 supports Java 17, 21 and 25.
 */
export async function findJdk(env: NodeJS.ProcessEnv = process.env, jvmDir = '/usr/lib/jvm'): Promise<Jdk> {
  if (env.JAVA_HOME) {
    const major = await jdkMajor(env.JAVA_HOME);
    if (major === undefined) throw new Error(`JAVA_HOME=${env.JAVA_HOME} holds no bin/java.`);
    return { javaHome: env.JAVA_HOME, major };
  }
  const candidates: Jdk[] = [];
  const entries = existsSync(jvmDir) ? await readdir(jvmDir) : [];
  for (const entry of entries) {
    const javaHome = path.join(jvmDir, entry);
    const major = await jdkMajor(javaHome);
    if (major !== undefined && major >= 17) candidates.push({ javaHome, major });
  }
  candidates.sort((a, b) => b.major - a.major || a.javaHome.localeCompare(b.javaHome));
  const best = candidates[0];
  if (!best) throw new Error(`No JDK 17 or newer under ${jvmDir}; install one or set JAVA_HOME.`);
  return best;
}

/**
 * The major version of the JDK or JRE in `javaHome`: from its `release` file, else from `java -version`
 * (some JRE packages ship no release file).
 */
async function jdkMajor(javaHome: string): Promise<number | undefined> {
  const java = path.join(javaHome, 'bin', 'java');
  if (!existsSync(java)) return undefined;
  let text: string;
  try {
    text = await readFile(path.join(javaHome, 'release'), 'utf8');
  } catch {
    text = await new Promise<string>((resolve) => {
      execFile(java, ['-version'], { timeout: 20_000 }, (_err, stdout, stderr) =>
        resolve(`${stdout}${stderr}`),
      );
    });
  }
  const version = /(?:JAVA_VERSION=|version )"(\d+)(?:\.(\d+))?/.exec(text);
  if (!version) return undefined;
  // Java 8 and older report "1.8".
  return version[1] === '1' ? Number(version[2]) : Number(version[1]);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${signal ?? code}`));
    });
  });
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
