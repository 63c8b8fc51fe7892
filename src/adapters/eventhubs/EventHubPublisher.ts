import { EventHubProducerClient, type EventData } from '@azure/event-hubs';

/**
 * Sends events to one hub, batched per partition key (the device ID), so a device's events stay
 * in order on one partition. The producer is created once per process.
 */
export class EventHubPublisher {
  constructor(private readonly producer: EventHubProducerClient) {}

  static fromConnectionString(connection: string, hubName: string): EventHubPublisher {
    return new EventHubPublisher(new EventHubProducerClient(connection, hubName));
  }

  async send(events: readonly { partitionKey: string; data: EventData }[]): Promise<void> {
    const byKey = new Map<string, EventData[]>();
    for (const e of events)
      byKey.set(e.partitionKey, [...(byKey.get(e.partitionKey) ?? []), e.data]);
    for (const [partitionKey, data] of byKey) {
      let batch = await this.producer.createBatch({ partitionKey });
      for (const event of data) {
        if (!batch.tryAdd(event)) {
          await this.producer.sendBatch(batch);
          batch = await this.producer.createBatch({ partitionKey });
          if (!batch.tryAdd(event))
            throw new Error('An event is larger than an Event Hubs batch allows');
        }
      }
      if (batch.count > 0) await this.producer.sendBatch(batch);
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
