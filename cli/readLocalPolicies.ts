import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePolicies } from '../src/adapters/policies/parsePolicies';
import type { SharedAccessPolicy } from '../src/domain/auth/SharedAccessPolicy';
import { CliError, EXIT } from './CliError';

/**
 * The shared access policies `npm start` generated, from `<data dir>/policies.json`: the service
 * API has no call that returns policy keys, so the CLI reads the local host's own file.
 */
export function readLocalPolicies(dataDir: string): {
  file: string;
  policies: Map<string, SharedAccessPolicy>;
} {
  const file = resolve(dataDir, 'policies.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CliError(
        `No policies at ${file}: run \`npm start\` once (it creates them there), or pass ` +
          '--data-dir (or set DATA_DIR) to the data folder `npm start` uses. With ' +
          'SHARED_ACCESS_POLICIES set, the keys are in that setting instead.',
        EXIT.usage,
      );
    throw new CliError(
      `Cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      EXIT.usage,
    );
  }
  try {
    return { file, policies: parsePolicies(text, file) };
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
}
