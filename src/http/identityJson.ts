import type { DeviceIdentity } from '../domain/identity/DeviceIdentity';
import type { ModuleIdentity } from '../domain/identity/ModuleIdentity';
import { NEVER } from '../domain/identity/never';

/** Connection facts the registry itself does not store (the liveness map supplies them later). */
export interface ActivityView {
  connectionState: 'Connected' | 'Disconnected';
  connectionStateUpdatedTime: string;
  lastActivityTime: string;
}

export const NO_ACTIVITY: ActivityView = {
  connectionState: 'Disconnected',
  connectionStateUpdatedTime: NEVER,
  lastActivityTime: NEVER,
};

/** A device in IoT Hub's JSON shape; `parentScopes` and `deviceScope` only where they apply. */
export function deviceJson(d: DeviceIdentity, activity: ActivityView = NO_ACTIVITY) {
  return {
    deviceId: d.deviceId,
    generationId: d.generationId,
    etag: d.etag,
    connectionState: activity.connectionState,
    status: d.status,
    statusReason: d.statusReason,
    connectionStateUpdatedTime: activity.connectionStateUpdatedTime,
    statusUpdatedTime: d.statusUpdatedTime,
    lastActivityTime: activity.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authentication: d.authentication,
    capabilities: d.capabilities,
    ...(d.deviceScope === null ? {} : { deviceScope: d.deviceScope }),
    ...(d.parentScopes === null ? {} : { parentScopes: d.parentScopes }),
  };
}

export function moduleJson(m: ModuleIdentity, activity: ActivityView = NO_ACTIVITY) {
  return {
    moduleId: m.moduleId,
    managedBy: m.managedBy,
    deviceId: m.deviceId,
    generationId: m.generationId,
    etag: m.etag,
    connectionState: activity.connectionState,
    connectionStateUpdatedTime: activity.connectionStateUpdatedTime,
    lastActivityTime: activity.lastActivityTime,
    cloudToDeviceMessageCount: 0,
    authentication: m.authentication,
  };
}
