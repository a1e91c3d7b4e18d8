/**
 * Issue #10: the library loads a driver only when a URL asks for it. A SQLite app never imports pg or
 * @redis/client (optional peer dependencies it may not have installed), no app loads node:sqlite unless it uses
 * SQLite, and only the dev IdP loads samlify. Each case runs in a fresh Node process that records every bare
 * specifier it resolves.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs `body` (an async function body with `lib`, the imported entry, in scope); returns the bare specifiers resolved. */
function loaded(entry: string, body: string, blocked?: string): { specifiers: string[]; out: string } {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        if (!specifier.startsWith('.') && !specifier.startsWith('file:')) seen.add(specifier);
        if (specifier === ${JSON.stringify(blocked ?? null)}) {
          const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
          error.code = 'ERR_MODULE_NOT_FOUND';
          throw error;
        }
        return next(specifier, context);
      },
    });
    const lib = await import(${JSON.stringify(path.join(root, entry))});
    let out = '';
    ${body}
    console.log(JSON.stringify({ specifiers: [...seen], out }));
  `;
  const stdout = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

// The OpenTelemetry SDK too: the library uses @opentelemetry/api alone; only the server's METRICS=on loads the SDK.
const DRIVERS = [
  'pg',
  '@redis/client',
  'node:sqlite',
  'samlify',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-prometheus',
];

describe('drivers load on demand', () => {
  it('importing the library and opening memory stores loads no driver and not samlify', () => {
    const { specifiers } = loaded(
      'src/index.ts',
      `const stores = await lib.openStores({ databaseUrl: 'memory:' }); await stores.close();`,
    );
    expect(specifiers).toContain('express');
    expect(specifiers.filter((s) => DRIVERS.includes(s))).toEqual([]);
  });

  it('a SQLite app loads node:sqlite and neither pg nor @redis/client', () => {
    const { specifiers } = loaded(
      'src/index.ts',
      `const stores = await lib.openStores({ databaseUrl: 'sqlite::memory:' }); await stores.close();`,
    );
    expect(specifiers.filter((s) => DRIVERS.includes(s))).toEqual(['node:sqlite']);
  });

  it('the express entry loads neither drivers nor samlify; the dev-idp entry loads samlify', () => {
    expect(loaded('src/http/index.ts', '').specifiers.filter((s) => DRIVERS.includes(s))).toEqual([]);
    expect(loaded('src/dev-idp/index.ts', '').specifiers).toContain('samlify');
  });

  it('a missing optional driver fails with the package to install', () => {
    for (const [driver, options] of [
      ['pg', `{ databaseUrl: 'postgres://sp@127.0.0.1:1/sp' }`],
      ['@redis/client', `{ databaseUrl: 'memory:', redisUrl: 'redis://127.0.0.1:1' }`],
    ] as const) {
      const { out } = loaded(
        'src/index.ts',
        `try { await lib.openStores(${options}); out = 'opened'; } catch (e) { out = e.message; }`,
        driver,
      );
      expect(out).toBe(
        `This store needs the "${driver}" package, which is not installed: npm install ${driver}`,
      );
    }
  });
});
