import type { RawEvent } from '../liveness/RawEvent';
import type { JsonObject } from '../twin/Twin';
import { isPlainObject } from '../twin/validateTwinValues';
import type { CatalogParse } from './CatalogParse';
import { catalogSequenceOf } from './catalogSequenceOf';
import { eventBody, eventField } from './eventFields';

const text = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

function time(value: unknown): string | null {
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string'
        ? Date.parse(value)
        : typeof value === 'number'
          ? value
          : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * Reads a twin change notification (`iothub-message-source: twinChangeEvents`) for the
 * catalog: `updateTwin` carries the changed tags as a patch, `replaceTwin` the whole twin.
 * Anything else is skipped. A hub route sets the source as a system property, the registry's
 * relay as an application property: both are read.
 */
export function parseTwinChange(raw: RawEvent): CatalogParse {
  const props = raw.properties;
  const sys = { ...props, ...raw.systemProperties };
  if (eventField(sys, 'iothub-message-source') !== 'twinChangeEvents') return { ok: 'skip' };
  const opType = eventField(props, 'opType');
  if (opType !== 'updateTwin' && opType !== 'replaceTwin')
    return { ok: false, reason: `unknown twin change opType '${String(opType).slice(0, 40)}'` };
  const deviceId =
    text(eventField(props, 'deviceId')) ?? text(eventField(sys, 'iothub-connection-device-id'));
  if (!deviceId) return { ok: false, reason: 'twin change without deviceId' };
  const moduleId =
    text(eventField(props, 'moduleId')) ?? text(eventField(sys, 'iothub-connection-module-id'));
  const at =
    time(eventField(props, 'operationTimestamp')) ??
    time(eventField(sys, 'iothub-enqueuedtime')) ??
    time(raw.enqueuedTimeUtc);
  if (!at) return { ok: false, reason: 'twin change without a valid time' };
  const body = eventBody(raw.body);
  if (!body) return { ok: false, reason: 'twin change without a JSON body' };
  const tags = body.tags;
  if (tags !== undefined && !isPlainObject(tags))
    return { ok: false, reason: 'twin change whose tags are not an object' };
  const values = (tags ?? {}) as JsonObject;
  return {
    ok: true,
    change: {
      deviceId,
      moduleId,
      op: 'twin',
      opType,
      at,
      sequence: catalogSequenceOf(raw, at),
      generationId: null,
      status: null,
      // A replace carries the whole twin (no tags: it has none); an update only what changed.
      tags:
        opType === 'replaceTwin'
          ? { kind: 'set', values }
          : tags === undefined
            ? undefined
            : { kind: 'merge', values },
    },
  };
}
