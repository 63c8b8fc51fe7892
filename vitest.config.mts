import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'standins/**/*.test.ts'],
    // The benchmarks' smoke runs go on their own afterwards (vitest.bench.config.mts): they load
    // both cores and would slow the timing of the tests running beside them.
    exclude: [...configDefaults.exclude, 'test/bench/**'],
    // One embedded stack (Cosmos stand-in, Azurite, local host) for the whole run, on free ports.
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
