import {
  emptySection,
  sectionValues,
  type JsonObject,
  type MetadataNode,
  type TwinState,
} from './Twin';
import { isPlainObject, validateSectionSize, validateTwinValues } from './validateTwinValues';

/** What a service writes to a twin: tags and desired properties, either or both. */
export interface TwinChange {
  tags?: JsonObject | undefined;
  desired?: JsonObject | undefined;
}

/**
 * Applies a change: `merge` as PATCH does (objects merge key by key, `null` deletes a key),
 * `replace` as PUT does (the given sections are replaced whole). The twin's version goes up
 * by one, desired's `$version` when desired changed, and `$metadata` records when each key
 * changed. Throws a 400 when a limit would be broken.
 */
export function updateTwinState(
  current: TwinState,
  change: TwinChange,
  mode: 'merge' | 'replace',
  now: string,
): TwinState {
  if (change.tags !== undefined) validateTwinValues('tags', change.tags, mode === 'merge');
  if (change.desired !== undefined)
    validateTwinValues('properties.desired', change.desired, mode === 'merge');

  let tags = current.tags;
  if (change.tags !== undefined) {
    tags =
      mode === 'merge'
        ? mergeValues(structuredClone(current.tags), change.tags)
        : structuredClone(change.tags);
    validateSectionSize('tags', tags);
  }
  let desired = current.properties.desired;
  if (change.desired !== undefined) {
    const version = desired.$version + 1;
    const stamp = { $lastUpdated: now, $lastUpdatedVersion: version };
    const values = sectionValues(desired);
    const next =
      mode === 'merge'
        ? mergeWithMetadata(
            structuredClone(values),
            structuredClone(desired.$metadata),
            change.desired,
            stamp,
          )
        : { values: structuredClone(change.desired), metadata: metadataOf(change.desired, stamp) };
    validateSectionSize('properties.desired', next.values);
    desired = { ...next.values, $metadata: { ...next.metadata, ...stamp }, $version: version };
  }
  return {
    version: current.version + 1,
    tags,
    properties: { desired, reported: current.properties.reported ?? emptySection(now) },
  };
}

function mergeValues(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isPlainObject(value)) {
      const base = target[key];
      target[key] = mergeValues(isPlainObject(base) ? base : {}, value);
    } else target[key] = value;
  }
  return target;
}

type Stamp = { $lastUpdated: string; $lastUpdatedVersion: number };

function mergeWithMetadata(
  values: JsonObject,
  metadata: MetadataNode,
  patch: JsonObject,
  stamp: Stamp,
): { values: JsonObject; metadata: MetadataNode } {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete values[key];
      delete metadata[key];
    } else if (isPlainObject(value)) {
      const base = values[key];
      const baseMeta = metadata[key];
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
function metadataOf(values: JsonObject, stamp: Stamp): MetadataNode {
  const node: MetadataNode = { ...stamp };
  for (const [key, value] of Object.entries(values))
    node[key] = isPlainObject(value) ? metadataOf(value, stamp) : { ...stamp };
  return node;
}
