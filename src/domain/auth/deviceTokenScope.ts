import type { IdentityRef } from '../identity/IdentityRef';

/**
 * The identity a device token's resource names: `host/devices/{id}` or
 * `host/devices/{id}/modules/{mid}` (URL-encoded as the device SDKs send it). Null if neither.
 */
export function deviceTokenScope(sr: string): { host: string; ref: IdentityRef } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(sr);
  } catch {
    return null;
  }
  const parts = decoded.replace(/^https?:\/\//i, '').split('/');
  const [host, devices, deviceId, modules, moduleId, ...rest] = parts;
  if (!host || devices?.toLowerCase() !== 'devices' || !deviceId || rest.length > 0) return null;
  if (modules === undefined) return { host, ref: { deviceId, moduleId: null } };
  if (modules.toLowerCase() !== 'modules' || !moduleId) return null;
  return { host, ref: { deviceId, moduleId } };
}
