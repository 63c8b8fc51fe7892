import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printsTable, runSmoke, SMOKE } from '../../bench/smoke';
import { compiledBuild } from '../support/compiledBuild';

/**
 * Every benchmark, compiled as `npm run bench:*` runs it, at a size that takes seconds: a
 * benchmark that no longer starts fails here. One at a time (they time their own work).
 */
describe('the benchmarks at smoke size', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  beforeAll(async () => {
    build = await compiledBuild();
  }, 120_000);
  afterAll(() => build?.remove());

  for (const bench of Object.keys(SMOKE))
    it(`bench:${bench} completes and prints its table`, async () => {
      const result = await runSmoke(join(build.dir, 'bench'), bench, 240_000);
      expect(result.code, result.stderr).toBe(0);
      expect(printsTable(result.stdout), result.stdout).toBe(true);
    }, 300_000);
});
