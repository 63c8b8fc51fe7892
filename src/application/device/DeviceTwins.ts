import { RegistryError } from '../../domain/errors/RegistryError';
import {
  sectionValues,
  type JsonObject,
  type Twin,
  type TwinSection,
} from '../../domain/twin/Twin';
import { isPlainObject } from '../../domain/twin/validateTwinValues';
import type { IdentityRef } from '../../ports/LivenessStore';
import type { TwinRegistry } from '../TwinRegistry';

/** A twin section as a device gets it: its values and `$version`, without `$metadata`. */
export type DeviceSection = JsonObject & { $version: number };

export interface DeviceTwin {
  desired: DeviceSection;
  reported: DeviceSection;
}

export const deviceSection = (section: TwinSection): DeviceSection => ({
  ...structuredClone(sectionValues(section)),
  $version: section.$version,
});

/**
 * A device's own twin, as IoT Hub's device endpoints serve it: read (desired and reported
 * properties), and reported properties merged in through the registry's twin update (so they
 * are versioned, checked against IoT Hub's limits and notified like a service's writes).
 */
export class DeviceTwins {
  constructor(private readonly twins: Pick<TwinRegistry, 'get' | 'update'>) {}

  async get(ref: IdentityRef): Promise<DeviceTwin> {
    return sectionsOf(await this.twins.get(ref.deviceId, ref.moduleId));
  }

  /** Merges a reported-property patch (the request body as sent); returns reported's new `$version`. */
  async patchReported(ref: IdentityRef, body: Buffer): Promise<number> {
    let patch: unknown;
    try {
      patch = JSON.parse(body.toString('utf8'));
    } catch {
      throw new RegistryError('ArgumentInvalid', 'The reported properties patch is not JSON');
    }
    if (!isPlainObject(patch))
      throw new RegistryError('ArgumentInvalid', 'The reported properties patch must be an object');
    const twin = await this.twins.update(
      ref.deviceId,
      ref.moduleId,
      { reported: patch as JsonObject },
      'merge',
      { kind: 'any' },
    );
    return twin.properties.reported.$version;
  }
}

const sectionsOf = (twin: Twin): DeviceTwin => ({
  desired: deviceSection(twin.properties.desired),
  reported: deviceSection(twin.properties.reported),
});
