import type { LifecycleNotification } from '../../domain/lifecycle/LifecycleNotification';
import type { LifecyclePublisher } from '../../ports/LifecyclePublisher';
import type { EventHubPublisher } from './EventHubPublisher';
import { lifecycleEventData } from './toEventData';

/** Lifecycle notifications onto the hub the liveness trigger reads (partition key = device ID). */
export class EventHubLifecyclePublisher implements LifecyclePublisher {
  constructor(private readonly hub: EventHubPublisher) {}

  publish(notifications: readonly LifecycleNotification[]): Promise<void> {
    return this.hub.send(
      notifications.map((n) => ({ partitionKey: n.partitionKey, data: lifecycleEventData(n) })),
    );
  }
}
