import { isForbiddenKey } from '../json/forbiddenKeys';
import type { JsonObject, MetadataNode } from './Twin';
import { isPlainObject } from './validateTwinValues';

/**
 * The entries a merge may write. The edge and validateTwinValues refuse prototype keys; a merge
 * skips them all the same (a patch that came another way, values stored before the edge refused
 * them), so it never assigns `__proto__` and friends.
 */
const writable = <T>(values: Record<string, T>): [string, T][] =>
  Object.entries(values).filter(([key]) => !isForbiddenKey(key));

/** A key's own value only: `target[key]` would find inherited ones (Object.prototype). */
const own = <T>(target: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(target, key) ? target[key] : undefined;

/** Merges a patch into `target` in place, as PATCH does: objects key by key, `null` deletes. */
export function mergeValues(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of writable(patch)) {
    if (value === null) delete target[key];
    else if (isPlainObject(value)) {
      const base = own(target, key);
      target[key] = mergeValues(isPlainObject(base) ? base : {}, value);
    } else target[key] = value;
  }
  return target;
}

/** Desired keys record the section version that wrote them; reported keys only the time. */
export type Stamp = { $lastUpdated: string; $lastUpdatedVersion?: number };

/** As mergeValues, stamping each changed key's metadata. */
export function mergeWithMetadata(
  values: JsonObject,
  metadata: MetadataNode,
  patch: JsonObject,
  stamp: Stamp,
): { values: JsonObject; metadata: MetadataNode } {
  for (const [key, value] of writable(patch)) {
    if (value === null) {
      delete values[key];
      delete metadata[key];
    } else if (isPlainObject(value)) {
      const base = own(values, key);
      const baseMeta = own(metadata, key);
      const merged = isPlainObject(base)
        ? mergeWithMetadata(base, isPlainObject(baseMeta) ? baseMeta : { ...stamp }, value, stamp)
        : { values: structuredClone(value), metadata: metadataOf(value, stamp) };
      values[key] = merged.values;
      metadata[key] = { ...merged.metadata, ...stamp };
    } else {
      values[key] = value;
      metadata[key] = { ...stamp };
    }
  }
  return { values, metadata };
}

/** Metadata for values written whole: every key stamped. */
export function metadataOf(values: JsonObject, stamp: Stamp): MetadataNode {
  const node: MetadataNode = { ...stamp };
  for (const [key, value] of writable(values))
    node[key] = isPlainObject(value) ? metadataOf(value, stamp) : { ...stamp };
  return node;
}
