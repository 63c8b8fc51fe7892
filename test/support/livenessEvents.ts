import type { RawEvent } from '../../src/domain/liveness/parseLivenessEvent';

/** A device message as an IoT Hub route (or the device endpoint) puts it on the stream. */
export function telemetry(
  deviceId: string,
  at: string,
  {
    heartbeat = true,
    intervalSeconds,
    generationId,
    moduleId,
  }: {
    heartbeat?: boolean;
    intervalSeconds?: number;
    generationId?: string;
    moduleId?: string;
  } = {},
): RawEvent {
  return {
    body: { temperature: 21 },
    systemProperties: {
      'iothub-connection-device-id': deviceId,
      ...(moduleId ? { 'iothub-connection-module-id': moduleId } : {}),
      ...(generationId ? { 'iothub-connection-auth-generation-id': generationId } : {}),
      'iothub-message-source': 'Telemetry',
    },
    properties: {
      ...(heartbeat ? { messageType: 'heartbeat' } : {}),
      ...(intervalSeconds ? { intervalSeconds: String(intervalSeconds) } : {}),
    },
    enqueuedTimeUtc: at,
  };
}

/** A lifecycle notification as the registry publishes it. */
export function lifecycle(
  opType: 'createDeviceIdentity' | 'deleteDeviceIdentity' | 'updateDeviceIdentityStatus',
  deviceId: string,
  at: string,
  {
    generationId,
    status = 'enabled',
    moduleId,
  }: { generationId: string; status?: 'enabled' | 'disabled'; moduleId?: string },
): RawEvent {
  return {
    body: { deviceId, ...(moduleId ? { moduleId } : {}), generationId, status },
    systemProperties: {
      'iothub-message-source': 'deviceLifecycleEvents',
      'iothub-connection-device-id': deviceId,
    },
    properties: {
      opType,
      deviceId,
      ...(moduleId ? { moduleId } : {}),
      hubName: 'test',
      operationTimestamp: at,
    },
    enqueuedTimeUtc: at,
  };
}

export const t = (seconds: number): string =>
  new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();
