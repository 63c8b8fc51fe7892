/** One event as the Event Hubs trigger hands it over (body plus its slice of triggerMetadata). */
export interface RawEvent {
  body: unknown;
  systemProperties: Record<string, unknown> | undefined;
  properties: Record<string, unknown> | undefined;
  enqueuedTimeUtc: unknown;
}
