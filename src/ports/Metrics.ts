/**
 * Counters and histograms operators watch: requests by route and status, ingest throughput and
 * lag per partition, sweeps, alerts, job progress. An adapter sends them to OpenTelemetry.
 */
export interface Metrics {
  request(route: string, status: number, milliseconds: number): void;
  ingested(partition: string, events: number, malformed: number, lagSeconds: number | null): void;
  /** Events the ingest skipped, by reason (unknownSource, badSequenceNumber, ...). */
  skipped(reason: string, count: number): void;
  swept(milliseconds: number, silenced: number): void;
  alerted(kind: 'silent' | 'recovered', count: number): void;
  jobProgress(type: 'export' | 'import', identities: number): void;
}

export const noMetrics: Metrics = {
  request: () => {},
  ingested: () => {},
  skipped: () => {},
  swept: () => {},
  alerted: () => {},
  jobProgress: () => {},
};
