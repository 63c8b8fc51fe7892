/**
 * How the Functions host batches Event Hubs triggers: host.json's `extensions.eventHubs`, which
 * states the extension's defaults explicitly (a unit test holds the two equal). The local host
 * consumes with the same numbers, so what it holds in memory is what a Function instance holds.
 */
export const HOST_EVENT_HUBS = {
  maxEventBatchSize: 100,
  prefetchCount: 300,
} as const;
