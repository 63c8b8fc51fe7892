import { RegistryError } from '../domain/errors/RegistryError';
import type { JsonObject } from '../domain/twin/Twin';
import type { TwinChange } from '../domain/twin/updateTwinState';
import { isPlainObject, validateTwinValues } from '../domain/twin/validateTwinValues';

/**
 * The twin sections of an ExportImportDevice entry: `tags` and `properties.desired` (reported
 * properties belong to the device and are not imported). Undefined when it sets none.
 */
export function twinChangeOf(tags: unknown, properties: unknown): TwinChange | undefined {
  const change: TwinChange = {};
  if (tags !== undefined && tags !== null) {
    validateTwinValues('tags', tags, false);
    change.tags = tags as JsonObject;
  }
  if (properties !== undefined && properties !== null) {
    if (!isPlainObject(properties))
      throw new RegistryError(
        'ArgumentInvalid',
        'properties must be an object: { "desired": {…} }',
      );
    const desired = withoutMetadata(properties.desired);
    if (desired !== undefined) {
      validateTwinValues('properties.desired', desired, false);
      change.desired = desired;
    }
  }
  return change.tags === undefined && change.desired === undefined ? undefined : change;
}

/** An exported section carries `$metadata` and `$version`: those are the registry's, not data. */
function withoutMetadata(section: unknown): JsonObject | undefined {
  if (section === undefined || section === null) return undefined;
  if (!isPlainObject(section))
    throw new RegistryError('ArgumentInvalid', 'properties.desired must be a JSON object');
  // fromEntries defines keys (never assigns them): a prototype key stays data, and
  // validateTwinValues refuses it by name.
  return Object.fromEntries(
    Object.entries(section).filter(([k]) => k !== '$metadata' && k !== '$version'),
  ) as JsonObject;
}
