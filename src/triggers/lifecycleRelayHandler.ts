import type { InvocationContext } from '@azure/functions';
import type { LifecycleRelay } from '../application/lifecycle/LifecycleRelay';

/**
 * The change-feed trigger of the identity container: relays outbox records to Event Hubs.
 * A publishing failure is thrown, so the host retries the batch (retry policy in functions/).
 */
export function lifecycleRelayHandler(services: () => Promise<{ relay: LifecycleRelay }>) {
  return async (documents: unknown[], context: InvocationContext): Promise<void> => {
    const { relay } = await services();
    const { notifications } = await relay.relay(Array.isArray(documents) ? documents : []);
    if (notifications > 0) context.trace(`Relayed ${notifications} lifecycle notification(s)`);
  };
}
