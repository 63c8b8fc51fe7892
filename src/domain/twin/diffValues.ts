import { isForbiddenKey } from '../json/forbiddenKeys';
import type { JsonObject, JsonValue } from './Twin';
import { isPlainObject } from './validateTwinValues';

/** Deep equality of JSON values (key order does not matter, array order does). */
export function sameJson(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

/**
 * The patch that takes `before` to `after`, as PATCH would send it: changed keys with their new
 * value, objects key by key, `null` for a removed key. Empty when nothing changed. Merging it
 * into `before` (mergeValues) gives `after`, so a consumer can apply it to its copy.
 */
export function diffValues(before: JsonObject, after: JsonObject): JsonObject {
  const diff: JsonObject = {};
  for (const [key, value] of Object.entries(after)) {
    if (isForbiddenKey(key)) continue;
    const old = Object.hasOwn(before, key) ? before[key] : undefined;
    if (sameJson(old, value)) continue;
    diff[key] =
      isPlainObject(old) && isPlainObject(value) ? diffValues(old, value) : structuredClone(value);
  }
  for (const key of Object.keys(before))
    if (!Object.hasOwn(after, key) && !isForbiddenKey(key)) diff[key] = null;
  return diff;
}
