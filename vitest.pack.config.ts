import { defineConfig } from 'vitest/config';

/**
 * The package as users install it (`npm run test:pack`): test/pack/ packs the tarball, installs it into a fresh
 * app and runs that app on Node 22 and Node 24. Slow (a build, an npm install, two Node versions), so it is not
 * part of `npm test`; .ci/run calls it after the other suites.
 */
export default defineConfig({
  test: {
    include: ['test/pack/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
