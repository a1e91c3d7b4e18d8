import { configDefaults, defineConfig } from 'vitest/config';
import { packageSelfAlias } from './vitest.shared.ts';

export default defineConfig({
  resolve: { alias: packageSelfAlias },
  test: {
    include: ['test/**/*.test.ts'],
    // test/e2e/ runs against Keycloak: `npm run test:e2e` (vitest.e2e.config.ts); test/chaos/ is
    // `npm run chaos` / `chaos:short` (vitest.chaos.config.ts); test/pack/ installs the packed tarball into a
    // fresh app: `npm run test:pack` (vitest.pack.config.ts).
    exclude: [...configDefaults.exclude, 'test/e2e/**', 'test/chaos/**', 'test/pack/**'],
    // Real servers (xmlsec1, HTTP) start inside tests: give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
