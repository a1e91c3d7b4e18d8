import { defineConfig } from 'vitest/config';
import { packageSelfAlias } from './vitest.shared.ts';

/**
 * End-to-end tests against a real Keycloak (`npm run test:e2e`). One Keycloak per run, started and stopped by
 * test/e2e/global-setup.ts and shared by every test file; the files run one after another because each starts
 * the SP on the port the realm was rendered for.
 */
export default defineConfig({
  resolve: { alias: packageSelfAlias },
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
