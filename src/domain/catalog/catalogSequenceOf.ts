import type { RawEvent } from '../liveness/RawEvent';
import { eventField } from './eventFields';

/**
 * The registry's number of a notification (`lifecycleSequence`, rising per device ID), else
 * its operation time in microseconds (e.g. from an IoT hub route).
 */
export function catalogSequenceOf(raw: RawEvent, at: string): number {
  const numbered = Number(eventField(raw.properties, 'lifecycleSequence'));
  return Number.isSafeInteger(numbered) && numbered > 0 ? numbered : Date.parse(at) * 1000;
}
