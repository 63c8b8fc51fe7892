import type { DeviceDraft } from '../identity/DeviceIdentity';
import type { ModuleDraft } from '../identity/ModuleIdentity';
import type { LifecycleNotification, LifecycleOperation } from './LifecycleNotification';

export interface LifecycleContext {
  hubName: string;
  now: Date;
}

function twinSection(now: string) {
  return { $metadata: { $lastUpdated: now }, $version: 1 };
}

/** A twin etag as IoT Hub writes it: base64 of the twin version, 8 bytes big-endian. */
export function twinEtag(version: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(version));
  return bytes.toString('base64');
}

/**
 * The notification for one identity. Module events carry `moduleId` (as current hubs do);
 * the body adds `generationId` so consumers can tell a re-created identity from the old one.
 * Built before the write commits (it is stored with it), so the body's etag is the twin's,
 * as IoT Hub's is, not the identity's.
 */
export function buildLifecycleNotification(
  opType: LifecycleOperation,
  identity: DeviceDraft | ModuleDraft,
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
      etag: twinEtag(1),
      version: 1,
      ...(status ? { status, statusReason: (identity as DeviceDraft).statusReason } : {}),
      authenticationType: identity.authentication.type,
      ...('capabilities' in identity ? { capabilities: identity.capabilities } : {}),
      properties: { desired: twinSection(timestamp), reported: twinSection(timestamp) },
    },
  };
}
