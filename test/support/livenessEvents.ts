import type { RawEvent } from '../../src/domain/liveness/RawEvent';

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

/** A connection state sequence number as the hub writes it (64 hex digits), the n-th of a run. */
export const seq = (n: number): string =>
  `000000000000000001D4132452F67CE200000002${n.toString(16).toUpperCase().padStart(24, '0')}`;

/** The system and application properties IoT Hub sets on its notifications about a device. */
function notification(
  source: string,
  schema: string,
  opType: string,
  deviceId: string,
  at: string,
  moduleId: string | undefined,
  body: unknown,
): RawEvent {
  return {
    body,
    systemProperties: {
      'iothub-message-source': source,
      'iothub-connection-device-id': deviceId,
      ...(moduleId ? { 'iothub-connection-module-id': moduleId } : {}),
      'iothub-enqueuedtime': at,
      'content-type': 'application/json',
      'content-encoding': 'utf-8',
    },
    properties: {
      hubName: 'test-hub',
      deviceId,
      ...(moduleId ? { moduleId } : {}),
      opType,
      operationTimestamp: at,
      'iothub-message-schema': schema,
    },
    enqueuedTimeUtc: at,
  };
}

/** `deviceConnectionStateEvents`, body `{"sequenceNumber":"<hex>"}` as bytes. */
export function connectionState(
  opType: 'deviceConnected' | 'deviceDisconnected',
  deviceId: string,
  at: string,
  sequenceNumber: string,
  { moduleId }: { moduleId?: string } = {},
): RawEvent {
  return notification(
    'deviceConnectionStateEvents',
    'deviceConnectionStateNotification',
    opType,
    deviceId,
    at,
    moduleId,
    Buffer.from(JSON.stringify({ sequenceNumber })),
  );
}

/** `twinChangeEvents`: the body holds only what changed (tags, desired or reported properties). */
export function twinChange(
  deviceId: string,
  at: string,
  changed: { tags?: object; desired?: object; reported?: object },
  { opType = 'updateTwin', moduleId }: { opType?: string; moduleId?: string } = {},
): RawEvent {
  const meta = { $metadata: { $lastUpdated: at }, $version: 2 };
  const properties = {
    ...(changed.desired ? { desired: { ...changed.desired, ...meta } } : {}),
    ...(changed.reported ? { reported: { ...changed.reported, ...meta } } : {}),
  };
  return notification(
    'twinChangeEvents',
    'twinChangeNotification',
    opType,
    deviceId,
    at,
    moduleId,
    {
      version: 3,
      ...(changed.tags ? { tags: changed.tags } : {}),
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    },
  );
}

/** `digitalTwinChangeEvents`: a JSON Patch of the digital twin. */
export function digitalTwinChange(deviceId: string, at: string): RawEvent {
  return notification(
    'digitalTwinChangeEvents',
    'digitalTwinChangeNotification',
    'updateTwin',
    deviceId,
    at,
    undefined,
    [{ op: 'replace', path: '/thermostat/targetTemperature', value: 22 }],
  );
}

/**
 * The event a route puts on the hub, for a producer: a producer cannot set broker annotations,
 * so the system properties travel as properties (the monitor reads them from either place).
 */
export function asEventData(raw: RawEvent): {
  body: unknown;
  properties: Record<string, unknown>;
  contentType?: string;
} {
  const body = raw.body instanceof Uint8Array ? Buffer.from(raw.body) : raw.body;
  return {
    body,
    properties: { ...raw.properties, ...raw.systemProperties },
    ...(raw.systemProperties?.['content-type'] === 'application/json'
      ? { contentType: 'application/json' }
      : {}),
  };
}
