import type { DeviceIdentity } from '../identity/DeviceIdentity';
import type { ModuleIdentity } from '../identity/ModuleIdentity';
import type { LifecycleNotification, LifecycleOperation } from './LifecycleNotification';

export interface LifecycleContext {
  hubName: string;
  now: Date;
}

function twinSection(now: string) {
  return { $metadata: { $lastUpdated: now }, $version: 1 };
}

/**
 * The notification for one identity. Module events carry `moduleId` (as current hubs do);
 * the body adds `generationId` so consumers can tell a re-created identity from the old one.
 */
export function buildLifecycleNotification(
  opType: LifecycleOperation,
  identity: DeviceIdentity | ModuleIdentity,
  { hubName, now }: LifecycleContext,
): LifecycleNotification {
  const timestamp = now.toISOString();
  const moduleId = 'moduleId' in identity ? identity.moduleId : undefined;
  const properties: Record<string, string> = {
    opType,
    hubName,
    deviceId: identity.deviceId,
    operationTimestamp: timestamp,
    'iothub-message-schema': moduleId
      ? 'moduleLifecycleNotification'
      : 'deviceLifecycleNotification',
  };
  if (moduleId) properties.moduleId = moduleId;
  const status = 'status' in identity ? identity.status : undefined;
  return {
    partitionKey: identity.deviceId,
    properties,
    systemProperties: {
      'iothub-message-source': 'deviceLifecycleEvents',
      'iothub-connection-device-id': identity.deviceId,
      ...(moduleId ? { 'iothub-connection-module-id': moduleId } : {}),
      'iothub-enqueuedtime': timestamp,
      'content-type': 'application/json',
      'content-encoding': 'utf-8',
    },
    body: {
      deviceId: identity.deviceId,
      ...(moduleId ? { moduleId } : {}),
      generationId: identity.generationId,
      etag: identity.etag,
      version: 1,
      ...(status ? { status, statusReason: (identity as DeviceIdentity).statusReason } : {}),
      authenticationType: identity.authentication.type,
      ...('capabilities' in identity ? { capabilities: identity.capabilities } : {}),
      properties: { desired: twinSection(timestamp), reported: twinSection(timestamp) },
    },
  };
}
