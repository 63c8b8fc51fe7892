import { jsonBody, own, text } from './eventFields';
import type { ParseResult } from './ParseResult';
import { parseLivenessEvent } from './parseLivenessEvent';
import type { RawEvent } from './RawEvent';

type Kind = 'created' | 'deleted' | 'connected' | 'disconnected' | 'telemetry';
const TYPES: Record<string, Kind> = {
  'microsoft.devices.devicecreated': 'created',
  'microsoft.devices.devicedeleted': 'deleted',
  'microsoft.devices.deviceconnected': 'connected',
  'microsoft.devices.devicedisconnected': 'disconnected',
  'microsoft.devices.devicetelemetry': 'telemetry',
};

const bag = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** `devices/{deviceId}` or `devices/{deviceId}/modules/{moduleId}`: IoT Hub's subjects. */
function subjectIds(subject: string | null): { deviceId: string | null; moduleId: string | null } {
  const m = subject ? /^devices\/([^/]+)(?:\/modules\/([^/]+))?$/.exec(subject) : null;
  return { deviceId: m?.[1] ?? null, moduleId: m?.[2] ?? null };
}

/**
 * Reads one of IoT Hub's Event Grid events, in the Event Grid schema (`eventType`,
 * `eventTime`) or CloudEvents 1.0 (`type`, `time`), by turning it into the message the hub
 * routes for the same happening, so every rule of the stream (IDs, sequence numbers, times)
 * applies unchanged: DeviceCreated/DeviceDeleted are lifecycle events (the body is the twin),
 * DeviceConnected/DeviceDisconnected connection state events (the sequence number is in
 * `deviceConnectionStateEventInfo`), DeviceTelemetry the device's message itself.
 */
export function parseEventGridEvent(event: unknown): ParseResult {
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    return { ok: false, skip: 'badEnvelope', reason: 'an Event Grid event that is not an object' };
  const type = text(own(event, 'type')) ?? text(own(event, 'eventType'));
  const k = type?.toLowerCase();
  const kind = k !== undefined && Object.hasOwn(TYPES, k) ? TYPES[k] : undefined;
  if (!kind)
    return {
      ok: false,
      skip: 'unknownEventType',
      reason: `unknown Event Grid event type '${String(type).slice(0, 60)}'`,
    };
  const at = own(event, 'time') ?? own(event, 'eventTime');
  const data = dataOf(event);
  if (!data)
    return {
      ok: false,
      skip: 'badBody',
      reason: `an Event Grid ${type} event whose data is not a JSON object`,
    };
  const fromSubject = subjectIds(text(own(event, 'subject')));
  const deviceId = text(own(data, 'deviceId')) ?? fromSubject.deviceId;
  const moduleId = text(own(data, 'moduleId')) ?? fromSubject.moduleId;
  return parseLivenessEvent(asRouted(kind, data, deviceId, moduleId, at));
}

/** `data` as JSON, or a JSON text; CloudEvents may carry it as `data_base64` instead. */
function dataOf(event: object): Record<string, unknown> | null {
  const data = own(event, 'data');
  if (data !== undefined) return jsonBody(data);
  const base64 = own(event, 'data_base64');
  return typeof base64 === 'string' ? jsonBody(Buffer.from(base64, 'base64')) : null;
}

function asRouted(
  kind: Kind,
  data: Record<string, unknown>,
  deviceId: string | null,
  moduleId: string | null,
  at: unknown,
): RawEvent {
  const ids = { ...(deviceId ? { deviceId } : {}), ...(moduleId ? { moduleId } : {}) };
  const hubName = text(own(data, 'hubName'));
  switch (kind) {
    case 'telemetry': {
      const sys = bag(own(data, 'systemProperties'));
      return {
        body: own(data, 'body'),
        systemProperties: {
          'iothub-message-source': 'Telemetry',
          ...(deviceId ? { 'iothub-connection-device-id': deviceId } : {}),
          ...sys,
        },
        properties: bag(own(data, 'properties')),
        enqueuedTimeUtc: at,
      };
    }
    case 'connected':
    case 'disconnected':
      return {
        body: {
          sequenceNumber: own(bag(own(data, 'deviceConnectionStateEventInfo')), 'sequenceNumber'),
        },
        systemProperties: { 'iothub-message-source': 'deviceConnectionStateEvents' },
        properties: {
          opType: kind === 'connected' ? 'deviceConnected' : 'deviceDisconnected',
          ...ids,
          ...(hubName ? { hubName } : {}),
          operationTimestamp: at,
        },
        enqueuedTimeUtc: at,
      };
    case 'created':
    case 'deleted': {
      const scope = moduleId ? 'ModuleIdentity' : 'DeviceIdentity';
      return {
        body: own(data, 'twin') ?? {},
        systemProperties: { 'iothub-message-source': 'deviceLifecycleEvents' },
        properties: {
          opType: `${kind === 'created' ? 'create' : 'delete'}${scope}`,
          ...ids,
          ...(hubName ? { hubName } : {}),
          operationTimestamp: at,
        },
        enqueuedTimeUtc: at,
      };
    }
  }
}
