import type { InvocationContext } from '@azure/functions';
import { parseEventGridEvent } from '../domain/liveness/parseEventGridEvent';
import type { LivenessServices } from '../application/liveness/LivenessServices';

/**
 * The Event Grid trigger: one of IoT Hub's Event Grid events (the runtime answers the
 * subscription handshake and invokes once per event) into the liveness ingest. An event it
 * cannot read is counted and skipped, so Event Grid does not retry it for a day; a store
 * failure is thrown, and Event Grid delivers the event again (the ingest is idempotent).
 */
export function livenessEventGridHandler(services: () => Promise<LivenessServices>) {
  return async (event: unknown, _context: InvocationContext): Promise<void> => {
    const { ingest, metrics } = await services();
    const result = await ingest.ingestParsed([parseEventGridEvent(event)]);
    metrics.ingested('eventgrid', result.events, result.malformed, null);
    for (const [reason, count] of Object.entries(result.skipped))
      metrics.skipped(reason, count ?? 0);
    if (result.alerts > 0) metrics.alerted('recovered', result.alerts);
  };
}
