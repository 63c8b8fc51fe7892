import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'standins/**/*.test.ts'],
    // One embedded stack (Cosmos stand-in, Azurite, local host) for the whole run, on free ports.
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
