import type { TelemetryMessage, TelemetryPublisher } from '../ports/TelemetryPublisher';
import type { InProcessEventChannel } from './InProcessEventChannel';

/** Accepted device messages onto the in-process channel (the embedded Event Hub). */
export class ChannelTelemetryPublisher implements TelemetryPublisher {
  constructor(private readonly channel: InProcessEventChannel) {}

  publish(messages: readonly TelemetryMessage[]): Promise<void> {
    this.channel.send(messages);
    return Promise.resolve();
  }
}
