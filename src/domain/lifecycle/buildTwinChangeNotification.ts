import type { LifecycleContext } from './buildLifecycleNotification';
import type { LifecycleNotification } from './LifecycleNotification';
import { sectionValues, type MetadataNode, type Twin, type TwinSection } from '../twin/Twin';
import { diffValues } from '../twin/diffValues';
import { isPlainObject } from '../twin/validateTwinValues';

/** IoT Hub's operation types of a twin change: PATCH updates, PUT replaces. */
export type TwinOperation = 'updateTwin' | 'replaceTwin';

/**
 * The metadata of what a patch changed: each changed key's node (objects key by key), under the
 * section's own stamp. A removed key has no metadata left.
 */
function metadataOf(patch: Record<string, unknown>, metadata: MetadataNode): MetadataNode {
  const node: MetadataNode = { $lastUpdated: metadata.$lastUpdated };
  if (metadata.$lastUpdatedVersion !== undefined)
    node.$lastUpdatedVersion = metadata.$lastUpdatedVersion;
  for (const [key, value] of Object.entries(patch)) {
    const child = Object.hasOwn(metadata, key) ? metadata[key] : undefined;
    if (value === null || !isPlainObject(child)) continue;
    node[key] = isPlainObject(value) ? metadataOf(value, child) : structuredClone(child);
  }
  return node;
}

/** A section's changed keys with their metadata and the section's version. */
const sectionPatch = (patch: Record<string, unknown>, section: TwinSection) => ({
  ...patch,
  $metadata: metadataOf(patch, section.$metadata),
  $version: section.$version,
});

/**
 * The twin change notification IoT Hub routes as `twinChangeEvents`, or null when the write
 * changes nothing (then nothing is written or sent). An update's body holds the twin's
 * version and what changed (tags, desired or reported properties), as a patch (`null`:
 * removed) with the metadata of the changed keys; a replace's holds the whole twin (IDs, etag, version,
 * all tags and properties), so a consumer can apply either to its copy.
 */
export function buildTwinChangeNotification(
  opType: TwinOperation,
  before: Twin,
  after: Twin,
  { hubName, now }: LifecycleContext,
): LifecycleNotification | null {
  const tags = diffValues(before.tags, after.tags);
  const desired = diffValues(
    sectionValues(before.properties.desired),
    sectionValues(after.properties.desired),
  );
  const reported = diffValues(
    sectionValues(before.properties.reported),
    sectionValues(after.properties.reported),
  );
  const tagsChanged = Object.keys(tags).length > 0;
  const desiredChanged = Object.keys(desired).length > 0;
  const reportedChanged = Object.keys(reported).length > 0;
  if (!tagsChanged && !desiredChanged && !reportedChanged) return null;

  const timestamp = now.toISOString();
  const { deviceId, moduleId } = after;
  const properties: Record<string, string> = {
    opType,
    hubName,
    deviceId,
    operationTimestamp: timestamp,
    'iothub-message-schema': 'twinChangeNotification',
  };
  if (moduleId) properties.moduleId = moduleId;
  const section = (s: TwinSection): TwinSection => structuredClone(s);
  const body: Record<string, unknown> =
    opType === 'replaceTwin'
      ? {
          deviceId,
          ...(moduleId ? { moduleId } : {}),
          etag: after.etag,
          version: after.version,
          tags: structuredClone(after.tags),
          properties: {
            desired: section(after.properties.desired),
            reported: section(after.properties.reported),
          },
        }
      : {
          version: after.version,
          ...(tagsChanged ? { tags } : {}),
          ...(desiredChanged || reportedChanged
            ? {
                properties: {
                  ...(desiredChanged
                    ? { desired: sectionPatch(desired, after.properties.desired) }
                    : {}),
                  ...(reportedChanged
                    ? { reported: sectionPatch(reported, after.properties.reported) }
                    : {}),
                },
              }
            : {}),
        };
  return {
    partitionKey: deviceId,
    properties,
    systemProperties: {
      'iothub-message-source': 'twinChangeEvents',
      'iothub-connection-device-id': deviceId,
      ...(moduleId ? { 'iothub-connection-module-id': moduleId } : {}),
      'iothub-enqueuedtime': timestamp,
      'content-type': 'application/json',
      'content-encoding': 'utf-8',
    },
    body,
  };
}
