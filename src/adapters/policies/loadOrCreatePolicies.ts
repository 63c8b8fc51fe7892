import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BUILT_IN_POLICY_RIGHTS,
  type SharedAccessPolicy,
} from '../../domain/auth/SharedAccessPolicy';
import { generateKey } from '../../domain/identity/resolveAuthentication';
import { parsePolicies } from './parsePolicies';

/**
 * The built-in policies with keys generated on first start and kept in DATA_DIR/policies.json
 * (mode 0600, git-ignored), so connection strings stay valid across restarts.
 */
export async function loadOrCreatePolicies(
  dataDir: string,
): Promise<Map<string, SharedAccessPolicy>> {
  const file = join(dataDir, 'policies.json');
  try {
    return parsePolicies(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const policies: SharedAccessPolicy[] = Object.entries(BUILT_IN_POLICY_RIGHTS).map(
    ([keyName, rights]) => ({
      keyName,
      primaryKey: generateKey(),
      secondaryKey: generateKey(),
      rights,
    }),
  );
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(policies, null, 2), { mode: 0o600, flag: 'wx' });
  return new Map(policies.map((p) => [p.keyName, p]));
}
