import type { InvocationContext } from '@azure/functions';
import type { CatalogSync } from '../application/catalog/CatalogSync';
import { rawEvents } from './livenessHandlers';

/**
 * The reference lifecycle consumer, an Event Hubs trigger on its own consumer group. A store
 * failure is thrown, so the host delivers the batch again (applying is idempotent).
 */
export function catalogEventHubHandler(services: () => Promise<{ catalog: CatalogSync }>) {
  return async (messages: unknown, context: InvocationContext): Promise<void> => {
    const { catalog } = await services();
    const result = await catalog.apply(rawEvents(messages, context));
    if (result.malformed > 0)
      context.warn(`Skipped ${result.malformed} unreadable lifecycle notification(s)`);
  };
}
