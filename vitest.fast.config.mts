import { defineConfig } from 'vitest/config';

/**
 * `npm run test:fast`: the unit tests and the ports' contract suites (each run against its fake
 * and its real adapter on the stand-ins), with no host. `npm test` runs these and the rest.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'],
    globalSetup: ['test/support/standInsSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
