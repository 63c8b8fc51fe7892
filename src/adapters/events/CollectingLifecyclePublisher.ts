import type { LifecycleNotification } from '../../domain/lifecycle/LifecycleNotification';
import type { LifecyclePublisher } from '../../ports/LifecyclePublisher';

/**
 * Keeps the most recent notifications in memory (bounded, so a long-running local host does not
 * grow without end). Stands in until an Event Hubs publisher is configured.
 */
export class CollectingLifecyclePublisher implements LifecyclePublisher {
  private readonly items: LifecycleNotification[] = [];

  constructor(private readonly capacity = 10_000) {}

  publish(notifications: readonly LifecycleNotification[]): Promise<void> {
    this.items.push(...notifications);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    return Promise.resolve();
  }

  get published(): readonly LifecycleNotification[] {
    return this.items;
  }
}
