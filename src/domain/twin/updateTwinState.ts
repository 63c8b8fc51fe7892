import { emptySection, sectionValues, type JsonObject, type TwinState } from './Twin';
import { mergeValues, mergeWithMetadata, metadataOf } from './mergeValues';
import { validateSectionSize, validateTwinValues } from './validateTwinValues';

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
