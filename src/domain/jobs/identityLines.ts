import type { DeviceIdentity } from '../identity/DeviceIdentity';
import type { ModuleIdentity } from '../identity/ModuleIdentity';
import type { Authentication } from '../identity/Authentication';
import type { Twin } from '../twin/Twin';

/** IoT Hub's ExportImportDevice twin fields: tags, desired and reported, and the twin etag. */
const twinFields = (twin: Twin | undefined) =>
  twin
    ? {
        twinETag: twin.etag,
        ...(Object.keys(twin.tags).length > 0 ? { tags: twin.tags } : {}),
        properties: twin.properties,
      }
    : {};

const withoutKeys = (a: Authentication): Authentication => ({
  ...a,
  symmetricKey: { primaryKey: null, secondaryKey: null },
});

/**
 * One line of devices.txt for a device, in IoT Hub's ExportImportDevice shape: it can be
 * imported again as it is (importMode absent = createOrUpdate).
 */
export function deviceLine(d: DeviceIdentity, excludeKeys: boolean, twin?: Twin): string {
  return JSON.stringify({
    id: d.deviceId,
    eTag: d.etag,
    status: d.status,
    statusReason: d.statusReason,
    authentication: excludeKeys ? withoutKeys(d.authentication) : d.authentication,
    capabilities: d.capabilities,
    ...(d.deviceScope === null ? {} : { deviceScope: d.deviceScope }),
    ...(d.parentScopes === null ? {} : { parentScopes: d.parentScopes }),
    ...twinFields(twin),
  });
}

/** A module's line: `id` is its device's ID, and `moduleId` says it is a module. */
export function moduleLine(m: ModuleIdentity, excludeKeys: boolean, twin?: Twin): string {
  return JSON.stringify({
    id: m.deviceId,
    moduleId: m.moduleId,
    eTag: m.etag,
    managedBy: m.managedBy,
    authentication: excludeKeys ? withoutKeys(m.authentication) : m.authentication,
    ...twinFields(twin),
  });
}
