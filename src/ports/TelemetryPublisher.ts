/** A device-to-cloud message as it goes onto the stream, with the properties a hub adds. */
export interface TelemetryMessage {
  partitionKey: string;
  body: Buffer;
  properties: Record<string, string>;
  systemProperties: Record<string, string>;
}

/** Publishes accepted device messages to the stream the liveness trigger reads. */
export interface TelemetryPublisher {
  publish(messages: readonly TelemetryMessage[]): Promise<void>;
}
