import type { TelemetryMessage, TelemetryPublisher } from '../../ports/TelemetryPublisher';
import type { EventHubPublisher } from './EventHubPublisher';

/** Accepted device messages onto the hub the liveness trigger reads. */
export class EventHubTelemetryPublisher implements TelemetryPublisher {
  constructor(private readonly hub: EventHubPublisher) {}

  publish(messages: readonly TelemetryMessage[]): Promise<void> {
    return this.hub.send(
      messages.map((m) => ({
        partitionKey: m.partitionKey,
        data: {
          body: m.body,
          // A producer cannot set broker annotations: the hub's system properties travel as
          // properties, and win over a device's own (which must not name another device).
          properties: { ...m.properties, ...m.systemProperties },
          ...(m.systemProperties['message-id']
            ? { messageId: m.systemProperties['message-id'] }
            : {}),
          ...(m.systemProperties['correlation-id']
            ? { correlationId: m.systemProperties['correlation-id'] }
            : {}),
          ...(m.systemProperties['content-type']
            ? { contentType: m.systemProperties['content-type'] }
            : {}),
        },
      })),
    );
  }
}
