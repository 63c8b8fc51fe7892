import { parseLivenessEvent, type RawEvent } from '../liveness/parseLivenessEvent';
import type { CatalogChange } from './applyCatalogChange';

export type CatalogParse =
  | { ok: true; change: CatalogChange }
  | { ok: false; reason: string }
  /** Not a lifecycle notification (telemetry shares the hub): nothing to do. */
  | { ok: 'skip' };

const propertyOf = (bag: Record<string, unknown> | undefined, name: string): unknown =>
  bag?.[name] ?? bag?.[name.charAt(0).toUpperCase() + name.slice(1)];

/**
 * Reads a lifecycle notification for the catalog. The registry numbers its notifications
 * (`lifecycleSequence`); one without a number (e.g. from an IoT hub route) is ordered by its
 * operation time.
 */
export function parseCatalogChange(raw: RawEvent): CatalogParse {
  const parsed = parseLivenessEvent(raw);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  if (event.kind !== 'lifecycle') return { ok: 'skip' };
  const numbered = Number(propertyOf(raw.properties, 'lifecycleSequence'));
  const sequence =
    Number.isSafeInteger(numbered) && numbered > 0 ? numbered : Date.parse(event.at) * 1000;
  const opType = propertyOf(raw.properties, 'opType');
  return {
    ok: true,
    change: {
      deviceId: event.deviceId,
      moduleId: event.moduleId,
      op: event.op,
      opType: typeof opType === 'string' ? opType : event.op,
      at: event.at,
      sequence,
      generationId: event.generationId,
      status: event.enabled === null ? null : event.enabled ? 'enabled' : 'disabled',
    },
  };
}
