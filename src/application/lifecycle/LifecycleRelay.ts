import type { LifecycleOutbox } from '../../ports/LifecycleOutbox';
import type { LifecyclePublisher } from '../../ports/LifecyclePublisher';
import type { Logger } from '../../ports/Logger';

/**
 * Publishes what the registry committed to its outbox: the change feed of the identity store
 * hands each batch of changed documents here (a Cosmos DB trigger in Azure, the local host's
 * feed reader here). Records leave the outbox only after the publisher acknowledged them, and
 * a failure throws, so the trigger retries the batch: every notification is published at least
 * once, a device's in commit order (the feed is ordered per partition).
 */
export class LifecycleRelay {
  constructor(
    private readonly outbox: LifecycleOutbox,
    private readonly publisher: LifecyclePublisher,
    private readonly logger: Logger,
  ) {}

  async relay(documents: readonly unknown[]): Promise<{ records: number; notifications: number }> {
    const { records, malformed } = this.outbox.recordsIn(documents);
    if (malformed > 0)
      this.logger.error(`${malformed} outbox record(s) could not be read and were left in place`);
    if (records.length === 0) return { records: 0, notifications: 0 };
    const notifications = records.flatMap((r) => r.notifications);
    await this.publisher.publish(notifications);
    await this.outbox.complete(records);
    return { records: records.length, notifications: notifications.length };
  }
}
