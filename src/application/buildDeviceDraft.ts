import { RegistryError } from '../domain/errors/RegistryError';
import type { DeviceDraft, DeviceIdentity, DeviceInput } from '../domain/identity/DeviceIdentity';
import { newGenerationId } from '../domain/identity/newGenerationId';
import { resolveAuthentication } from '../domain/identity/resolveAuthentication';
import { NEVER } from '../domain/identity/never';
import { resolveScopes, type EdgeScopeLookup } from './resolveScopes';

/** The device to store for a create (no `existing`) or an update of `existing`. */
export async function buildDeviceDraft(
  deviceId: string,
  input: DeviceInput,
  existing: DeviceIdentity | undefined,
  now: Date,
  lookupEdgeScope: EdgeScopeLookup,
): Promise<DeviceDraft> {
  const status = input.status ?? existing?.status ?? 'enabled';
  const statusReason =
    input.statusReason !== undefined ? input.statusReason : (existing?.statusReason ?? null);
  if (statusReason !== null && [...statusReason].length > 128) {
    throw new RegistryError(
      'ArgumentInvalid',
      'statusReason is longer than 128 characters: shorten it',
    );
  }
  const iotEdge = input.capabilities?.iotEdge ?? existing?.capabilities.iotEdge ?? false;
  const scopes = await resolveScopes(deviceId, iotEdge, input, existing, now, lookupEdgeScope);
  return {
    deviceId,
    generationId: existing?.generationId ?? newGenerationId(now),
    status,
    statusReason,
    statusUpdatedTime:
      existing === undefined
        ? NEVER
        : status !== existing.status
          ? now.toISOString()
          : existing.statusUpdatedTime,
    authentication: resolveAuthentication(input.authentication, existing?.authentication),
    capabilities: { iotEdge },
    ...scopes,
  };
}
