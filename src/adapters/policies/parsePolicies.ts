import { z } from 'zod';
import type { SharedAccessPolicy } from '../../domain/auth/SharedAccessPolicy';

const base64Key = z.string().regex(/^[A-Za-z0-9+/]{22,}={0,2}$/, 'must be a base64 key');

const policiesSchema = z
  .array(
    z.object({
      keyName: z.string().min(1),
      primaryKey: base64Key,
      secondaryKey: base64Key,
      rights: z.array(z.enum(['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'])),
    }),
  )
  .min(1);

/** Policies from SHARED_ACCESS_POLICIES or the local policies file; errors never show key values. */
export function parsePolicies(json: string, source: string): Map<string, SharedAccessPolicy> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(
      `${source} is not valid JSON: it must be an array of {keyName, primaryKey, secondaryKey, rights}`,
    );
  }
  const parsed = policiesSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new Error(`${source} is not a valid list of shared access policies: ${where}`);
  }
  return new Map(parsed.data.map((p) => [p.keyName, p]));
}
