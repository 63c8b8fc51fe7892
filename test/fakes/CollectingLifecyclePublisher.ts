import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import type { LifecyclePublisher } from '../../src/ports/LifecyclePublisher';

/** An in-memory LifecyclePublisher for unit tests: keeps the latest notifications, bounded. */
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
