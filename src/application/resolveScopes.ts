import { RegistryError } from '../domain/errors/RegistryError';
import type { DeviceIdentity, DeviceInput } from '../domain/identity/DeviceIdentity';
import { deviceIdOfScope, newEdgeScope } from '../domain/identity/edgeScope';

/** Finds the edge device whose scope this is, or null. */
export type EdgeScopeLookup = (scope: string) => Promise<DeviceIdentity | null>;

/**
 * deviceScope and parentScopes (spec: "IoT Edge as a gateway"). An edge device's scope is
 * generated once and immutable; a leaf device's parent must be an existing edge device, and its
 * deviceScope mirrors that parent's scope for older API versions.
 */
export async function resolveScopes(
  deviceId: string,
  iotEdge: boolean,
  input: DeviceInput,
  existing: DeviceIdentity | undefined,
  now: Date,
  lookupEdgeScope: EdgeScopeLookup,
): Promise<Pick<DeviceIdentity, 'deviceScope' | 'parentScopes'>> {
  const ownScope = iotEdge
    ? existing?.capabilities.iotEdge && existing.deviceScope
      ? existing.deviceScope
      : newEdgeScope(deviceId, now)
    : null;

  let parents: string[];
  if (input.parentScopes !== undefined)
    parents = (input.parentScopes ?? []).filter((s) => s !== '');
  else if (!iotEdge && input.deviceScope) parents = [input.deviceScope];
  else parents = existing?.parentScopes ?? [];

  if (parents.length > 1) {
    throw new RegistryError(
      'ArgumentInvalid',
      'parentScopes may name one parent only: the deviceScope of an edge device',
    );
  }
  const parent = parents[0];
  if (!iotEdge && input.deviceScope && parent !== undefined && input.deviceScope !== parent) {
    throw new RegistryError(
      'ArgumentInvalid',
      "a leaf device's deviceScope must equal its parentScopes entry: send the same scope in both, or only parentScopes",
    );
  }
  if (parent !== undefined && parent !== existing?.parentScopes?.[0]) {
    const parentId = deviceIdOfScope(parent);
    if (parentId === deviceId)
      throw new RegistryError('ArgumentInvalid', 'a device cannot be its own parent');
    const edge = parentId === null ? null : await lookupEdgeScope(parent);
    if (!edge) {
      throw new RegistryError(
        'ArgumentInvalid',
        `parentScopes names '${parent}', which is not the deviceScope of an existing edge device`,
      );
    }
  }
  if (iotEdge) return { deviceScope: ownScope, parentScopes: parents };
  return { deviceScope: parent ?? null, parentScopes: parent === undefined ? null : [parent] };
}
