import { assertDeviceId, assertModuleId } from '../identity/identityId';
import type { IdentityRef } from '../identity/IdentityRef';

/** The identity an MQTT client id names: `deviceId` or `deviceId/moduleId`; null if none can. */
export function identityOfClientId(clientId: string): IdentityRef | null {
  const slash = clientId.indexOf('/');
  try {
    return slash < 0
      ? { deviceId: assertDeviceId(clientId), moduleId: null }
      : {
          deviceId: assertDeviceId(clientId.slice(0, slash)),
          moduleId: assertModuleId(clientId.slice(slash + 1)),
        };
  } catch {
    return null;
  }
}

/**
 * Whether an MQTT user name is IoT Hub's `{host}/{clientId}/?api-version=...` (the SDKs add
 * `&DeviceClientType=...`, `&model-id=...`) for this client id and one of the hub's host names.
 */
export function usernameMatches(
  username: string,
  clientId: string,
  hostNames: readonly string[],
): boolean {
  const slash = username.indexOf('/');
  if (slash < 0) return false;
  const host = username.slice(0, slash).toLowerCase();
  if (!hostNames.some((h) => h.toLowerCase() === host)) return false;
  const rest = username.slice(slash + 1);
  if (!rest.startsWith(`${clientId}/`)) return false;
  const query = rest.slice(clientId.length + 1).replace(/^\?/, '');
  return /(^|&)api-version=[^&]+/.test(query);
}
