import type { JsonObject } from './Twin';
import { isPlainObject } from './validateTwinValues';

/** What a device gets on `$iothub/twin/PATCH/properties/desired/`: changed keys and `$version`. */
export type DesiredPatch = JsonObject & { $version: number };

/**
 * The desired-property patch a twin change notification's body carries, or null when the change
 * left desired properties alone. An update carries the changed keys (`null`: removed); a
 * replace the whole section, sent whole.
 */
export function desiredPatchOf(body: unknown): DesiredPatch | null {
  if (!isPlainObject(body) || !isPlainObject(body.properties)) return null;
  const desired = body.properties.desired;
  if (!isPlainObject(desired) || typeof desired.$version !== 'number') return null;
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(desired))
    if (!key.startsWith('$')) patch[key] = value as JsonObject[string];
  return { ...patch, $version: desired.$version };
}
