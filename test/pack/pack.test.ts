/**
 * Issue #10: saml-sp-kit as users get it. Packs the tarball (`npm pack`, which builds dist/ through prepack),
 * installs it (a copy, no symlink, no workspace) with express from the registry into a fresh app in a temporary
 * directory, and runs that app's ES module, CommonJS and TypeScript files and the installed `saml-sp` command on
 * Node 22 (the lowest version `engines` allows) and on Node 24 (the project's). Not part of `npm test`:
 * `npm run test:pack`, which .ci/run calls after the other suites.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseForm, TestBrowser } from '../helpers/browser.ts';
import { freePort } from '../helpers/server.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
/** The lowest Node 22 that `engines` admits (node:sqlite without a flag); override with PACK_TEST_NODE22. */
const NODE_22 = process.env.PACK_TEST_NODE22 ?? '22.13.0';
const node22Dir = path.join(root, '.cache/pack-test', `node-${NODE_22}`);

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

let work: string;
let app: string;
let pack: PackResult;
const nodes: { label: string; bin: string }[] = [];
const children: ChildProcess[] = [];

/** Runs a command with `bin`'s directory first on PATH, so `node` and shebangs mean that Node. */
function envFor(bin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Vitest's own variables (BASE_URL=/ among them) and the app's settings never leak into the app.
    if (!INHERITED_NOT.test(name)) env[name] = value;
  }
  return { ...env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}`, ...extra };
}
const INHERITED_NOT =
  /^(NODE_OPTIONS|NODE_ENV|VITEST.*|VITE_.*|TEST|MODE|DEV|PROD|SSR|BASE_URL|PORT|HOST|DATABASE_URL|REDIS_URL|ADMIN_TOKEN|DEV_IDP|SP_.*)$/;

async function sh(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return run(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

async function installNode22(): Promise<string> {
  const bin = path.join(node22Dir, 'node_modules/node/bin/node');
  if (!existsSync(bin)) {
    mkdirSync(node22Dir, { recursive: true });
    // Without a package.json of its own, npm would install into the nearest one up the tree: the repo.
    writeFileSync(path.join(node22Dir, 'package.json'), '{ "private": true }\n');
    await sh(
      'npm',
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', `node@${NODE_22}`],
      {
        cwd: node22Dir,
        env: envFor(process.execPath),
      },
    );
  }
  const { stdout } = await sh(bin, ['--version'], { cwd: node22Dir });
  expect(stdout.trim()).toBe(`v${NODE_22}`);
  return bin;
}

beforeAll(async () => {
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  work = mkdtempSync(path.join(tmpdir(), 'saml-sp-kit-pack-'));
  app = path.join(work, 'app');
  mkdirSync(app);
  await cp(path.join(import.meta.dirname, 'apps'), app, { recursive: true });
  writeFileSync(path.join(app, 'package.json'), '{ "name": "consumer-app", "private": true }\n');
  const npm = (args: string[], cwd: string) => sh('npm', args, { cwd, env: envFor(process.execPath) });
  const install = ['install', '--no-audit', '--no-fund', '--prefer-offline'];
  // Three independent steps at once: a Node 22, the app's own dependencies, and the tarball (npm pack builds).
  const [node22, packed] = await Promise.all([
    installNode22(),
    npm(['pack', '--json', '--pack-destination', work], root),
    npm([...install, 'express@^5', 'passport@^0.7', 'typescript@5.9', '@types/node@^22'], app),
  ]);
  [pack] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as PackResult[];
  nodes.push(
    { label: `Node ${NODE_22}`, bin: node22 },
    { label: `Node ${process.versions.node}`, bin: process.execPath },
  );
  console.log(
    `pack: ${pack.filename} ${(pack.size / 1024).toFixed(1)} kB packed, ${(pack.unpackedSize / 1024).toFixed(1)} kB unpacked, ${pack.entryCount} files (${seconds()})`,
  );
  await npm([...install, path.join(work, pack.filename)], app);
  console.log(`pack: installed into a fresh app in ${seconds()}`);
}, 600_000);

afterAll(() => {
  for (const child of children) child.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds the built package and no test, fixture, key, certificate or database file', () => {
    const paths = pack.files.map((f) => f.path);
    const outside = paths.filter((p) => !/^(dist|src)\//.test(p));
    expect(outside.sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'bin/saml-sp.js',
      'package.json',
    ]);
    const forbidden = paths.filter(
      (p) =>
        /(^|\/)(test|tests|fixtures?|__tests__|certs|data|examples)\//.test(p) ||
        /\.(test|spec)\.[cm]?[jt]s$/.test(p) ||
        /\.(pem|key|crt|cer|der|p12|pfx|jks|db|sqlite|sqlite3)$/i.test(p),
    );
    expect(forbidden).toEqual([]);
    for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/index.d.ts.map']) {
      expect(paths).toContain(entry);
    }
    expect(paths).toContain('dist/cli/main.js');
  });

  it('is installed as a copy, and `npm ls` in the app is clean', async () => {
    expect(existsSync(path.join(app, 'node_modules/saml-sp-kit/dist/index.js'))).toBe(true);
    // npm ls exits non-zero on a missing, invalid or extraneous package; an optional peer left out (pg,
    // @redis/client, the OpenTelemetry SDK that only the server's METRICS=on loads) is listed as
    // "UNMET OPTIONAL DEPENDENCY", which is what optional means.
    const { stdout } = await sh('npm', ['ls', '--all'], { cwd: app, env: envFor(process.execPath) });
    expect(stdout).toContain('saml-sp-kit@0.');
    const optional =
      /UNMET OPTIONAL DEPENDENCY (pg|@redis\/client|@opentelemetry\/(sdk-metrics|exporter-prometheus|resources))@/g;
    expect(stdout.replace(optional, '')).not.toMatch(/invalid|missing|extraneous|UNMET|deduped invalid/i);
    // A SQLite app never gets the optional drivers.
    expect(existsSync(path.join(app, 'node_modules/pg'))).toBe(false);
    expect(existsSync(path.join(app, 'node_modules/@redis/client'))).toBe(false);
  });

  it('publint reports no problem', async () => {
    const { stdout } = await sh(
      'npx',
      ['--no-install', 'publint', 'run', path.join(work, pack.filename), '--strict'],
      {
        cwd: root,
        env: envFor(process.execPath),
      },
    );
    expect(stdout).toContain('All good');
  });

  it('arethetypeswrong reports no problem (ESM-only profile: CommonJS apps use require(esm))', async () => {
    // The esm-only profile ignores two resolution modes: node10 (no `exports` support at all) and TypeScript's
    // node16 view of require() from CommonJS, which predates require(esm); the CommonJS apps below cover that.
    const { stdout } = await sh(
      'npx',
      ['--no-install', 'attw', path.join(work, pack.filename), '--profile', 'esm-only', '--format', 'json'],
      { cwd: root, env: envFor(process.execPath) },
    );
    const { analysis } = JSON.parse(stdout) as {
      analysis: {
        entrypoints: Record<string, unknown>;
        problems: { kind: string; resolutionKind?: string }[];
      };
    };
    expect(Object.keys(analysis.entrypoints)).toEqual(['.', './express', './dev-idp', './package.json']);
    const ignored = new Set(['node10', 'node16-cjs']);
    expect(analysis.problems.filter((p) => !ignored.has(p.resolutionKind ?? ''))).toEqual([]);
  });

  it('dist/ exports the same names as src/, for every entry point', async () => {
    const entries = {
      'saml-sp-kit': 'index.ts',
      'saml-sp-kit/express': 'http/index.ts',
      'saml-sp-kit/dev-idp': 'dev-idp/index.ts',
    };
    for (const [specifier, file] of Object.entries(entries)) {
      const source = Object.keys(await import(path.join(root, 'src', file))).sort();
      const { stdout } = await sh(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `console.log(JSON.stringify(Object.keys(await import('${specifier}')).sort()))`,
        ],
        { cwd: app },
      );
      expect(JSON.parse(stdout), specifier).toEqual(source);
      expect(source.length).toBeGreaterThan(specifier === 'saml-sp-kit/dev-idp' ? 1 : 10);
    }
  });

  it('its public declarations name no private path of another package and never `any`', () => {
    // Every declaration file reachable from the three entry points, as the installed package has them.
    const pkg = path.join(app, 'node_modules/saml-sp-kit');
    const seen = new Set<string>();
    const external = new Set<string>();
    const anys: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      // Comments hold examples ("import … from 'saml-sp-kit'") and prose ("if any"): only code counts.
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const [, specifier] of code.matchAll(/(?:from\s*|import\()\s*['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.'))
          visit(path.resolve(path.dirname(file), specifier!.replace(/\.js$/, '.d.ts')));
        else external.add(specifier!);
      }
      if (/\bany\b/.test(code)) anys.push(path.relative(pkg, file));
    };
    for (const entry of ['dist/index.d.ts', 'dist/http/index.d.ts', 'dist/dev-idp/index.d.ts']) {
      visit(path.join(pkg, entry));
    }
    expect(seen.size).toBeGreaterThan(30);
    expect(anys).toEqual([]);
    // Bare package names only (their public entry), never 'pkg/dist/lib/x.js'.
    const deep = [...external].filter(
      (s) => !s.startsWith('node:') && s.split('/').length > (s.startsWith('@') ? 2 : 1),
    );
    expect(deep).toEqual([]);
    expect([...external].filter((s) => !s.startsWith('node:')).sort()).toEqual([
      // The metrics instruments' types (SpMetrics); the API package only, never the SDK.
      '@opentelemetry/api',
      '@xmldom/xmldom',
      'express',
      // The OpenID bridge's types (Provider, verifyAccessToken's payload); runtime dependencies that ship types
      // (oidc-provider's through @types/oidc-provider, a dependency too).
      'jose',
      'oidc-provider',
      'passport-strategy',
      'samlify',
      // The SCIM filter AST in the directory's public types; a runtime dependency with its own types.
      'scim2-parse-filter',
      'zod',
    ]);
  });

  it('type-checks in a TypeScript app (nodenext, ESM and CommonJS files; bundler), with no `any`', async () => {
    const tsc = path.join(app, 'node_modules/typescript/bin/tsc');
    for (const project of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const result = await sh(process.execPath, [tsc, '-p', project], { cwd: app }).catch((e) => e);
      expect(`${result.stdout}${result.stderr}`, project).toBe('');
    }
  });
});

for (const which of ['22', '24'] as const) {
  describe(`installed on Node ${which}`, () => {
    const node = () => nodes[which === '22' ? 0 : 1]!;

    it('import() of the package gives its API, the one-liner of the issue prints "function"', async () => {
      const { stdout } = await sh(
        node().bin,
        ['-e', "import('saml-sp-kit').then(m => console.log(typeof m.ServiceProvider))"],
        { cwd: app },
      );
      expect(stdout.trim()).toBe('function');
      const esm = await sh(node().bin, ['esm-app.mjs'], { cwd: app });
      expect(JSON.parse(esm.stdout)).toEqual({
        serviceProvider: 'function',
        router: 'function',
        idpEntityId: true,
        users: ['alice', 'bob'],
        code: 'SAML_METADATA_INVALID',
      });
    });

    it('a CommonJS Express app require()s it, mounts samlRouter with the embedded IdP and signs bob in', async () => {
      const cwd = path.join(app, `cjs-${which}`);
      mkdirSync(cwd, { recursive: true });
      const port = await freePort();
      const base = await start(
        node().bin,
        [path.join(app, 'cjs-app.cjs')],
        cwd,
        { PORT: String(port) },
        /^ready /m,
      );
      const b = new TestBrowser();
      const loginPage = await b.follow(await b.get(`${base}/saml/corp/login?returnTo=/`));
      const autoPost = await b.submit(parseForm(loginPage), { username: 'bob', password: 'bob-pass' });
      const landed = await b.submit(parseForm(autoPost));
      expect(landed.status).toBe(303);
      const me = await b.get(`${base}/me`);
      expect(me.status).toBe(200);
      expect(JSON.parse(me.body)).toMatchObject({ email: 'bob@example.com', connectionId: 'corp' });
      expect(existsSync(path.join(cwd, 'data/app.db'))).toBe(true);
    });

    it('the installed saml-sp answers --help, init writes certs/ in the cwd, serve --dev-idp signs alice in', async () => {
      const cwd = path.join(app, `cli-${which}`);
      mkdirSync(cwd, { recursive: true });
      const bin = path.join(app, 'node_modules/.bin/saml-sp');
      const help = await sh(bin, ['--help'], { cwd, env: envFor(node().bin) });
      expect(help.stdout).toContain('Usage: saml-sp <command>');

      const init = await sh(bin, ['init'], { cwd, env: envFor(node().bin) });
      expect(init.stdout).toContain(path.join(cwd, 'certs'));
      expect(existsSync(path.join(cwd, 'certs'))).toBe(true);

      const port = await freePort();
      const base = await start(
        bin,
        ['serve', '--dev-idp'],
        cwd,
        { PORT: String(port), BASE_URL: `http://localhost:${port}` },
        /listening on/,
        node().bin,
      );
      const b = new TestBrowser();
      const loginPage = await b.follow(await b.get(`${base}/saml/dev/login?returnTo=/`));
      const autoPost = await b.submit(parseForm(loginPage), { username: 'alice', password: 'alice-pass' });
      const landed = await b.submit(parseForm(autoPost));
      expect(landed.status).toBe(303);
      const me = await b.get(`${base}/me`);
      expect(JSON.parse(me.body)).toMatchObject({ email: 'alice@example.com', connectionId: 'dev' });
      expect(existsSync(path.join(cwd, 'data/saml-sp.db'))).toBe(true);
      expect(readFileSync(path.join(cwd, 'certs/dev-idp.cert.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    });
  });
}

/** Starts a server process and resolves with its base URL once its output matches `ready`. */
function start(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  ready: RegExp,
  nodeBin: string = command,
): Promise<string> {
  const child = spawn(command, args, { cwd, env: envFor(nodeBin, env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve(`http://localhost:${env.PORT}`);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}:\n${output}`)));
  });
}
