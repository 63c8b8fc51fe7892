import { jsonBody, own, prop, text, time } from './eventFields';
import type { RawEvent } from './RawEvent';
import type { ParseResult } from './ParseResult';
import { parseConnectionSequence } from './parseConnectionSequence';

const CONNECTION_OPS: Record<string, boolean> = {
  deviceconnected: true,
  devicedisconnected: false,
};
const TWIN_OPS = new Set(['updatetwin', 'replacetwin']);

const clip = (value: unknown) => String(value).slice(0, 40);

/** A reported-properties patch with at least one property in it (not just `$metadata`). */
function changesReported(body: Record<string, unknown>): boolean {
  const reported = own(own(body, 'properties'), 'reported');
  return (
    reported !== null &&
    typeof reported === 'object' &&
    Object.keys(reported).some((k) => !k.startsWith('$'))
  );
}

/**
 * Reads one of IoT Hub's notifications about a device (not its own messages): connection state,
 * twin change and digital twin change events. The hub writes `hubName`, `deviceId`, `moduleId`,
 * `opType`, `operationTimestamp` and `iothub-message-schema` as application properties and the
 * body as JSON; a connection state body is `{"sequenceNumber":"<hex>"}`, a twin change body
 * holds only the parts that changed (`tags`, `properties.desired`, `properties.reported`).
 */
export function parseHubNotification(
  source: 'connection' | 'twin' | 'digitalTwin',
  raw: RawEvent,
  sys: Record<string, unknown>,
  enqueued: string | null,
): ParseResult {
  const props = raw.properties;
  const opType = text(prop(props, 'opType'));
  const op = opType?.toLowerCase() ?? '';
  const known = source === 'connection' ? Object.hasOwn(CONNECTION_OPS, op) : TWIN_OPS.has(op);
  if (!known)
    return {
      ok: false,
      skip: 'unknownOpType',
      reason: `unknown ${source} opType '${clip(opType)}'`,
    };
  const deviceId = text(prop(props, 'deviceId')) ?? text(prop(sys, 'iothub-connection-device-id'));
  if (!deviceId)
    return { ok: false, skip: 'missingDeviceId', reason: `${source} event without deviceId` };
  const moduleId = text(prop(props, 'moduleId')) ?? text(prop(sys, 'iothub-connection-module-id'));
  const at = time(prop(props, 'operationTimestamp')) ?? enqueued;
  if (!at) return { ok: false, skip: 'badTime', reason: `${source} event without a valid time` };
  const generationId = text(prop(sys, 'iothub-connection-auth-generation-id'));
  if (source === 'digitalTwin')
    return { ok: true, event: { kind: 'digitalTwinChange', deviceId, moduleId, at } };
  const body = jsonBody(raw.body);
  if (!body)
    return {
      ok: false,
      skip: 'badBody',
      reason: `${source} event whose body is not a JSON object`,
    };
  if (source === 'twin')
    return {
      ok: true,
      event: {
        kind: 'twinChange',
        deviceId,
        moduleId,
        at,
        // Replacing a twin is the back end's operation: it sets tags and desired properties.
        reported: op === 'updatetwin' && changesReported(body),
        generationId,
      },
    };
  const sequenceNumber = parseConnectionSequence(own(body, 'sequenceNumber'));
  if (!sequenceNumber)
    return {
      ok: false,
      skip: 'badSequenceNumber',
      reason: `connection state event whose sequenceNumber '${clip(own(body, 'sequenceNumber'))}' is not a hex number`,
    };
  return {
    ok: true,
    event: {
      kind: 'connection',
      connected: CONNECTION_OPS[op] === true,
      deviceId,
      moduleId,
      at,
      sequenceNumber,
      generationId,
    },
  };
}
