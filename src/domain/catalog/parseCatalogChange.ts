import { parseLivenessEvent } from '../liveness/parseLivenessEvent';
import type { RawEvent } from '../liveness/RawEvent';
import type { JsonObject } from '../twin/Twin';
import { isPlainObject } from '../twin/validateTwinValues';
import type { CatalogParse } from './CatalogParse';
import { catalogSequenceOf } from './catalogSequenceOf';
import { eventBody, eventField } from './eventFields';
import { parseTwinChange } from './parseTwinChange';

export type { CatalogParse } from './CatalogParse';

/**
 * Reads a lifecycle or twin change notification for the catalog. The registry numbers its
 * notifications (`lifecycleSequence`); one without a number (e.g. from an IoT hub route) is
 * ordered by its operation time.
 */
export function parseCatalogChange(raw: RawEvent): CatalogParse {
  const twin = parseTwinChange(raw);
  if (twin.ok !== 'skip') return twin;
  const parsed = parseLivenessEvent(raw);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  if (event.kind !== 'lifecycle') return { ok: 'skip' };
  const opType = eventField(raw.properties, 'opType');
  // The body is the identity's twin: its tags whole (none when it has none).
  const tags = eventBody(raw.body)?.tags;
  return {
    ok: true,
    change: {
      deviceId: event.deviceId,
      moduleId: event.moduleId,
      op: event.op,
      opType: typeof opType === 'string' ? opType : event.op,
      at: event.at,
      sequence: catalogSequenceOf(raw, event.at),
      generationId: event.generationId,
      status: event.enabled === null ? null : event.enabled ? 'enabled' : 'disabled',
      tags: { kind: 'set', values: isPlainObject(tags) ? (tags as JsonObject) : {} },
    },
  };
}
