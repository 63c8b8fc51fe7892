import { EventHubProducerClient, type EventData } from '@azure/event-hubs';

const KEYS_IN_FLIGHT = 32;
/**
 * The longest one send may take, retries included: the SDK's own timeouts do not cover a send
 * caught while the client waits for a dead connection to be reset.
 */
export const SEND_DEADLINE_MS = 8_000;

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
    for (const e of events) {
      const list = byKey.get(e.partitionKey);
      if (list) list.push(e.data);
      else byKey.set(e.partitionKey, [e.data]);
    }
    // Keys in parallel (each waits for the hub to store it), a key's events in order.
    const keys = [...byKey];
    const abortSignal = AbortSignal.timeout(SEND_DEADLINE_MS);
    const next = { index: 0 };
    const worker = async () => {
      while (next.index < keys.length) {
        const [partitionKey, data] = keys[next.index++]!;
        await this.sendKey(partitionKey, data, abortSignal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(KEYS_IN_FLIGHT, keys.length) }, worker));
  }

  private async sendKey(
    partitionKey: string,
    data: EventData[],
    abortSignal: AbortSignal,
  ): Promise<void> {
    let batch = await this.producer.createBatch({ partitionKey, abortSignal });
    for (const event of data) {
      if (!batch.tryAdd(event)) {
        await this.producer.sendBatch(batch, { abortSignal });
        batch = await this.producer.createBatch({ partitionKey, abortSignal });
        if (!batch.tryAdd(event))
          throw new Error('An event is larger than an Event Hubs batch allows');
      }
    }
    if (batch.count > 0) await this.producer.sendBatch(batch, { abortSignal });
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
