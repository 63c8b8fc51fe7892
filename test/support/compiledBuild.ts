import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = resolve(__dirname, '../..');

/**
 * Compiles the project (as `npm run build` does) into a directory of its own, for tests that
 * run the service as a separate process they can kill. It lives inside node_modules so the
 * compiled files resolve the project's packages.
 */
export async function compiledBuild(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = join(ROOT, 'node_modules', '.cache', `test-build-${randomUUID()}`);
  await promisify(execFile)(process.execPath, [
    join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    dir,
  ]);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
