/**
 * How the Functions host batches Event Hubs triggers: host.json's `extensions.eventHubs` (a unit
 * test holds the two equal). Batches of up to 1,000 rather than the extension's default 100:
 * the liveness ingest writes each device once per batch, so a device's heartbeats in one batch
 * cost one write. One batch is prefetched per partition. The local host consumes with the same
 * numbers, so what it holds in memory is what a Function instance holds.
 */
export const HOST_EVENT_HUBS = {
  maxEventBatchSize: 1000,
  prefetchCount: 1000,
} as const;
