import type { DeviceDraft } from '../identity/DeviceIdentity';
import type { ModuleDraft } from '../identity/ModuleIdentity';
import type { LifecycleNotification, LifecycleOperation } from './LifecycleNotification';
import { newTwinState, twinEtag, type TwinState } from '../twin/Twin';

export interface LifecycleContext {
  hubName: string;
  now: Date;
}

/**
 * The notification for one identity. Module events carry `moduleId` (as current hubs do);
 * the body adds `generationId` so consumers can tell a re-created identity from the old one.
 * The body is the identity's twin (`twin`: its state as the write leaves it; a new twin when
 * absent), so a consumer syncing metadata gets the tags and desired properties with it.
 * Built before the write commits (it is stored with it), so the body's etag is the twin's,
 * as IoT Hub's is, not the identity's.
 */
export function buildLifecycleNotification(
  opType: LifecycleOperation,
  identity: DeviceDraft | ModuleDraft,
  { hubName, now }: LifecycleContext,
  twin?: TwinState,
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
  const state = twin ?? newTwinState(timestamp);
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
      etag: twinEtag(state.version),
      version: state.version,
      ...(status ? { status, statusReason: (identity as DeviceDraft).statusReason } : {}),
      authenticationType: identity.authentication.type,
      ...('capabilities' in identity ? { capabilities: identity.capabilities } : {}),
      ...(Object.keys(state.tags).length > 0 ? { tags: state.tags } : {}),
      properties: state.properties,
    },
  };
}
