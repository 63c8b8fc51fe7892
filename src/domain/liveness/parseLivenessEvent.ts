import { jsonBody, prop, text, time } from './eventFields';
import type { ParseResult } from './ParseResult';
import { parseHubNotification } from './parseHubNotification';
import type { RawEvent } from './RawEvent';

const LIFECYCLE_OPS: Record<string, { op: 'create' | 'delete' | 'status'; module?: boolean }> = {
  createdeviceidentity: { op: 'create' },
  deletedeviceidentity: { op: 'delete' },
  createmoduleidentity: { op: 'create', module: true },
  deletemoduleidentity: { op: 'delete', module: true },
  updatedeviceidentitystatus: { op: 'status' },
};

/** `iothub-message-source` values, and the `iothub-message-schema` each source's events carry. */
type Source = 'telemetry' | 'lifecycle' | 'connection' | 'twin' | 'digitalTwin';
const SOURCES: Record<string, Source> = {
  telemetry: 'telemetry',
  devicelifecycleevents: 'lifecycle',
  deviceconnectionstateevents: 'connection',
  twinchangeevents: 'twin',
  digitaltwinchangeevents: 'digitalTwin',
};
const SCHEMAS: Record<string, Source> = {
  devicelifecyclenotification: 'lifecycle',
  deviceconnectionstatenotification: 'connection',
  twinchangenotification: 'twin',
  digitaltwinchangenotification: 'digitalTwin',
};

const MAX_INTERVAL_SECONDS = 7 * 24 * 3600;
/** Any ID IoT Hub has allowed, for devices (older hubs allowed + and #) and modules. */
const IDENTITY_ID = /^[A-Za-z0-9\-:.+%_#*?!(),=@;$']{1,128}$/;

const lookup = <T>(table: Record<string, T>, key: string | null): T | undefined => {
  const k = key?.toLowerCase();
  // The sender names the key: `constructor` or `__proto__` must not find Object.prototype's.
  return k !== undefined && Object.hasOwn(table, k) ? table[k] : undefined;
};

/**
 * Reads one event, by its `iothub-message-source` as IoT Hub writes it: `Telemetry` (every
 * message is activity; `messageType: heartbeat` may declare `intervalSeconds`),
 * `deviceLifecycleEvents`, `deviceConnectionStateEvents`, `twinChangeEvents` and
 * `digitalTwinChangeEvents`. Without a source (a plain producer), the `iothub-message-schema`
 * or an `opType` says it is a notification, else it is a device message. Never throws: an event
 * it cannot read, or of a source it does not know, is a skip reason.
 */
export function parseLivenessEvent(raw: RawEvent): ParseResult {
  const parsed = parseBySource(raw);
  // An ID no registry could hold would fail the store's write, and with it the whole batch.
  if (
    parsed.ok &&
    (!IDENTITY_ID.test(parsed.event.deviceId) ||
      (parsed.event.moduleId !== null && !IDENTITY_ID.test(parsed.event.moduleId)))
  )
    return {
      ok: false,
      skip: 'badIdentityId',
      reason: `an event of '${parsed.event.deviceId.slice(0, 40)}', not a device or module ID`,
    };
  return parsed;
}

function parseBySource(raw: RawEvent): ParseResult {
  // A hub route sets iothub-* as system properties; a plain producer can only send them as
  // application properties. Read both, system first.
  const sys = { ...raw.properties, ...raw.systemProperties };
  const props = raw.properties;
  // When the hub took the message in (IoT Hub's stamp), else when Event Hubs did.
  const enqueued = time(prop(sys, 'iothub-enqueuedtime')) ?? time(raw.enqueuedTimeUtc);
  const opType = text(prop(props, 'opType'));
  const sourceName = text(prop(sys, 'iothub-message-source'));
  // Only the hub's own events are notifications: a device's message carries the source
  // `Telemetry`, whatever application properties (an `opType` of its own) it sends.
  const source: Source | undefined =
    sourceName !== null
      ? lookup(SOURCES, sourceName)
      : (lookup(SCHEMAS, text(prop(props, 'iothub-message-schema'))) ??
        (opType !== null ? 'lifecycle' : 'telemetry'));
  switch (source) {
    case undefined:
      return {
        ok: false,
        skip: 'unknownSource',
        reason: `unknown iothub-message-source '${String(sourceName).slice(0, 40)}'`,
      };
    case 'lifecycle':
      return parseLifecycle(raw, sys, enqueued, opType);
    case 'telemetry':
      return parseTelemetry(sys, props, enqueued);
    default:
      return parseHubNotification(source, raw, sys, enqueued);
  }
}

function parseLifecycle(
  raw: RawEvent,
  sys: Record<string, unknown>,
  enqueued: string | null,
  opType: string | null,
): ParseResult {
  const props = raw.properties;
  const known = lookup(LIFECYCLE_OPS, opType);
  if (!known)
    return {
      ok: false,
      skip: 'unknownOpType',
      reason: `unknown lifecycle opType '${String(opType).slice(0, 40)}'`,
    };
  const deviceId = text(prop(props, 'deviceId')) ?? text(prop(sys, 'iothub-connection-device-id'));
  if (!deviceId)
    return { ok: false, skip: 'missingDeviceId', reason: 'lifecycle event without deviceId' };
  const moduleId = text(prop(props, 'moduleId')) ?? text(prop(sys, 'iothub-connection-module-id'));
  if (known.module && !moduleId)
    return {
      ok: false,
      skip: 'missingModuleId',
      reason: 'module lifecycle event without moduleId',
    };
  const at = time(prop(props, 'operationTimestamp')) ?? enqueued;
  if (!at) return { ok: false, skip: 'badTime', reason: 'lifecycle event without a valid time' };
  const body = jsonBody(raw.body);
  const status = text(body?.status)?.toLowerCase();
  return {
    ok: true,
    event: {
      kind: 'lifecycle',
      op: known.op,
      deviceId,
      moduleId,
      at,
      generationId: text(body?.generationId),
      enabled: status === 'enabled' ? true : status === 'disabled' ? false : null,
    },
  };
}

function parseTelemetry(
  sys: Record<string, unknown>,
  props: Record<string, unknown> | undefined,
  enqueued: string | null,
): ParseResult {
  const deviceId = text(prop(sys, 'iothub-connection-device-id'));
  if (!deviceId)
    return {
      ok: false,
      skip: 'missingDeviceId',
      reason: 'message without iothub-connection-device-id',
    };
  if (!enqueued)
    return { ok: false, skip: 'badTime', reason: 'message without a valid enqueued time' };
  const heartbeat = text(prop(props, 'messageType'))?.toLowerCase() === 'heartbeat';
  const declared = heartbeat ? Number(text(prop(props, 'intervalSeconds')) ?? NaN) : NaN;
  return {
    ok: true,
    event: {
      kind: 'activity',
      deviceId,
      moduleId: text(prop(sys, 'iothub-connection-module-id')),
      at: enqueued,
      heartbeat,
      intervalSeconds:
        Number.isFinite(declared) && declared >= 1 && declared <= MAX_INTERVAL_SECONDS
          ? declared
          : null,
      generationId: text(prop(sys, 'iothub-connection-auth-generation-id')),
    },
  };
}
