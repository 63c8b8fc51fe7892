import { RegistryError } from '../domain/errors/RegistryError';
import type { DeviceInput } from '../domain/identity/DeviceIdentity';
import type { ModuleInput } from '../domain/identity/ModuleIdentity';
import type { DeviceBody, ModuleBody } from './schemas/identitySchemas';

/** Checks that an ID repeated in the body agrees with the path. */
export function assertSameId(
  field: string,
  inBody: string | null | undefined,
  inPath: string,
): void {
  if (inBody !== undefined && inBody !== null && inBody !== inPath) {
    throw new RegistryError(
      'ArgumentInvalid',
      `${field} in the body ('${inBody.slice(0, 140)}') differs from the one in the path ('${inPath}'): they must be equal`,
    );
  }
}

export function toDeviceInput(body: Omit<DeviceBody, 'deviceId'>): DeviceInput {
  return {
    status: body.status,
    statusReason: body.statusReason,
    authentication: body.authentication,
    capabilities: body.capabilities
      ? { iotEdge: body.capabilities.iotEdge ?? undefined }
      : undefined,
    deviceScope: body.deviceScope,
    parentScopes: body.parentScopes,
  };
}

export function toModuleInput(body: Pick<ModuleBody, 'managedBy' | 'authentication'>): ModuleInput {
  return { managedBy: body.managedBy, authentication: body.authentication };
}
