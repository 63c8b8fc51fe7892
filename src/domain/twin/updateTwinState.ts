import { emptySection, sectionValues, type JsonObject, type TwinState } from './Twin';
import { mergeValues, mergeWithMetadata, metadataOf } from './mergeValues';
import { validateSectionSize, validateTwinValues } from './validateTwinValues';

/**
 * What a write changes: a service writes tags and desired properties, a device its reported
 * properties (always as a merge).
 */
export interface TwinChange {
  tags?: JsonObject | undefined;
  desired?: JsonObject | undefined;
  reported?: JsonObject | undefined;
}

/**
 * Applies a change: `merge` as PATCH does (objects merge key by key, `null` deletes a key),
 * `replace` as PUT does (the given sections are replaced whole). The twin's version goes up
 * by one, a section's `$version` when it changed, and `$metadata` records when each key
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
  if (change.reported !== undefined)
    validateTwinValues('properties.reported', change.reported, mode === 'merge');

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
  let reported = current.properties.reported ?? emptySection(now);
  if (change.reported !== undefined) {
    const stamp = { $lastUpdated: now };
    const next =
      mode === 'merge'
        ? mergeWithMetadata(
            structuredClone(sectionValues(reported)),
            structuredClone(reported.$metadata),
            change.reported,
            stamp,
          )
        : {
            values: structuredClone(change.reported),
            metadata: metadataOf(change.reported, stamp),
          };
    validateSectionSize('properties.reported', next.values);
    reported = {
      ...next.values,
      $metadata: { ...next.metadata, ...stamp },
      $version: reported.$version + 1,
    };
  }
  return { version: current.version + 1, tags, properties: { desired, reported } };
}
