import type { DeviceRegistry } from '../application/DeviceRegistry';
import type { ModuleRegistry } from '../application/ModuleRegistry';
import type { TwinRegistry } from '../application/TwinRegistry';
import type { ConfigurationContent } from '../domain/configurations/Configuration';
import { desiredPatchOf } from '../domain/configurations/desiredPatchOf';
import { RegistryError } from '../domain/errors/RegistryError';
import type { JsonObject } from '../domain/twin/Twin';
import { isPlainObject } from '../domain/twin/validateTwinValues';

/**
 * IoT Hub's "apply configuration content on an edge device": each module of modulesContent
 * gets its desired properties replaced (deviceContent and moduleContent merge into the twin).
 * Every module is checked before anything is written, so a missing one changes nothing.
 */
export class ConfigurationContentApplier {
  constructor(
    private readonly devices: DeviceRegistry,
    private readonly modules: ModuleRegistry,
    private readonly twins: TwinRegistry,
  ) {}

  async apply(deviceId: string, content: ConfigurationContent): Promise<void> {
    const kinds = Object.keys(content);
    if (kinds.length !== 1)
      throw new RegistryError(
        'ArgumentInvalid',
        'The content must hold exactly one of modulesContent, moduleContent or deviceContent',
      );
    const device = await this.devices.get(deviceId);
    if (content.modulesContent) {
      if (!device.capabilities.iotEdge)
        throw new RegistryError(
          'ArgumentInvalid',
          `Device '${deviceId}' is not an IoT Edge device: modulesContent applies to edge devices only`,
        );
      const writes: [string, JsonObject][] = [];
      for (const [moduleId, value] of Object.entries(content.modulesContent)) {
        const desired = isPlainObject(value) ? value['properties.desired'] : undefined;
        if (!isPlainObject(desired))
          throw new RegistryError(
            'ArgumentInvalid',
            `modulesContent["${moduleId.slice(0, 100)}"] must be { "properties.desired": {…} }`,
          );
        await this.modules.get(deviceId, moduleId);
        writes.push([moduleId, desired]);
      }
      for (const [moduleId, desired] of writes)
        await this.twins.update(deviceId, moduleId, { desired }, 'replace', { kind: 'any' });
      return;
    }
    const field = content.deviceContent ? 'deviceContent' : 'moduleContent';
    const desired = desiredPatchOf(content[field] as JsonObject, field);
    await this.twins.update(deviceId, null, { desired }, 'merge', { kind: 'any' });
  }
}
