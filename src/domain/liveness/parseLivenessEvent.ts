import type { LivenessEvent } from './LivenessEvent';

/** One event as the Event Hubs trigger hands it over (body plus its slice of triggerMetadata). */
export interface RawEvent {
  body: unknown;
  systemProperties: Record<string, unknown> | undefined;
  properties: Record<string, unknown> | undefined;
  enqueuedTimeUtc: unknown;
}

export type ParseResult = { ok: true; event: LivenessEvent } | { ok: false; reason: string };

const LIFECYCLE_OPS: Record<string, { op: 'create' | 'delete' | 'status'; module?: boolean }> = {
  createdeviceidentity: { op: 'create' },
  deletedeviceidentity: { op: 'delete' },
  createmoduleidentity: { op: 'create', module: true },
  deletemoduleidentity: { op: 'delete', module: true },
  updatedeviceidentitystatus: { op: 'status' },
};

const MAX_INTERVAL_SECONDS = 7 * 24 * 3600;

function text(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

function time(value: unknown): string | null {
  const candidate =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(candidate) ? new Date(candidate).toISOString() : null;
}

/** Reads a key case-insensitively: the Functions host lower-cases the first letter of keys. */
function prop(bag: Record<string, unknown> | undefined, name: string): unknown {
  if (!bag) return undefined;
  // Own keys only: `in` would find Object.prototype's (`constructor`, `toString`).
  if (Object.hasOwn(bag, name)) return bag[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(bag)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function jsonBody(body: unknown): Record<string, unknown> | null {
  let value = body;
  if (value instanceof Uint8Array) value = Buffer.from(value).toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/**
 * Reads one event: telemetry (every message is activity; `messageType: heartbeat` may declare
 * `intervalSeconds`) or a lifecycle notification. Never throws: a bad event is a reason.
 */
export function parseLivenessEvent(raw: RawEvent): ParseResult {
  // A hub route sets iothub-* as system properties; a plain producer can only send them as
  // application properties. Read both, system first.
  const sys = { ...raw.properties, ...raw.systemProperties };
  const props = raw.properties;
  // When the hub took the message in (IoT Hub's stamp), else when Event Hubs did.
  const enqueued = time(prop(sys, 'iothub-enqueuedtime')) ?? time(raw.enqueuedTimeUtc);
  const opType = text(prop(props, 'opType'));
  const source = text(prop(sys, 'iothub-message-source'));
  // A twin change is the service's write, not the device's: no activity (nor a lifecycle event).
  if (source === 'twinChangeEvents')
    return { ok: false, reason: 'a twin change notification is not device activity' };

  // Only the registry's own events are lifecycle events: a device's message carries the source
  // `Telemetry`, whatever application properties (an `opType` of its own) it sends.
  if (source === 'deviceLifecycleEvents' || (source === null && opType !== null)) {
    const op = opType?.toLowerCase();
    // The sender names the key: `constructor` or `__proto__` must not find Object.prototype's.
    const known =
      op !== undefined && Object.hasOwn(LIFECYCLE_OPS, op) ? LIFECYCLE_OPS[op] : undefined;
    if (!known)
      return { ok: false, reason: `unknown lifecycle opType '${String(opType).slice(0, 40)}'` };
    const deviceId =
      text(prop(props, 'deviceId')) ?? text(prop(sys, 'iothub-connection-device-id'));
    if (!deviceId) return { ok: false, reason: 'lifecycle event without deviceId' };
    const moduleId =
      text(prop(props, 'moduleId')) ?? text(prop(sys, 'iothub-connection-module-id'));
    if (known.module && !moduleId)
      return { ok: false, reason: 'module lifecycle event without moduleId' };
    const at = time(prop(props, 'operationTimestamp')) ?? enqueued;
    if (!at) return { ok: false, reason: 'lifecycle event without a valid time' };
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

  const deviceId = text(prop(sys, 'iothub-connection-device-id'));
  if (!deviceId) return { ok: false, reason: 'message without iothub-connection-device-id' };
  if (!enqueued) return { ok: false, reason: 'message without a valid enqueued time' };
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
