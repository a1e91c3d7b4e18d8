import { defineConfig } from 'vitest/config';

/**
 * The chaos test (issue #11): two server instances as child processes on one PostgreSQL and one Redis, under
 * load, through store restarts, a kill -9, a dead metadata URL and slow clients. `npm run chaos` (long
 * profile), `npm run chaos:short` (the one .ci/run counts, under 3 minutes).
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 900_000,
  },
});
