import { defineConfig } from 'vitest/config';

/** `npm test`'s second part: every benchmark at smoke size, alone on the machine. */
export default defineConfig({
  test: {
    include: ['test/bench/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
