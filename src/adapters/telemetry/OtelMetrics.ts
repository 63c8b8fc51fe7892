import { metrics, type MeterProvider } from '@opentelemetry/api';
import type { Metrics } from '../../ports/Metrics';

/**
 * Metrics through the OpenTelemetry API: whatever SDK the process registers (Application
 * Insights' distro in Azure, any OTLP exporter) receives them; without one they cost nothing.
 */
export class OtelMetrics implements Metrics {
  private readonly requests;
  private readonly requestDuration;
  private readonly events;
  private readonly malformed;
  private readonly skips;
  private readonly lag;
  private readonly sweepDuration;
  private readonly silenced;
  private readonly alerts;
  private readonly jobIdentities;

  constructor(provider: MeterProvider = metrics.getMeterProvider()) {
    const meter = provider.getMeter('iot-identity-registry');
    this.requests = meter.createCounter('registry.requests', {
      description: 'HTTP requests by route and status',
    });
    this.requestDuration = meter.createHistogram('registry.request.duration', { unit: 'ms' });
    this.events = meter.createCounter('liveness.ingest.events', {
      description: 'Events taken in, by partition',
    });
    this.malformed = meter.createCounter('liveness.ingest.malformed');
    this.skips = meter.createCounter('liveness.ingest.skipped', {
      description: 'Events skipped, by reason (an unknown source or opType, a bad body, ...)',
    });
    this.lag = meter.createHistogram('liveness.ingest.lag', {
      unit: 's',
      description: 'Age of the newest event of a batch when it was taken in, by partition',
    });
    this.sweepDuration = meter.createHistogram('liveness.sweep.duration', { unit: 'ms' });
    this.silenced = meter.createCounter('liveness.sweep.silenced');
    this.alerts = meter.createCounter('liveness.alerts', { description: 'Alerts raised, by kind' });
    this.jobIdentities = meter.createCounter('jobs.identities', {
      description: 'Identities exported or imported, by job type',
    });
  }

  request(route: string, status: number, milliseconds: number): void {
    this.requests.add(1, { route, status });
    this.requestDuration.record(milliseconds, { route });
  }

  ingested(partition: string, events: number, malformed: number, lagSeconds: number | null): void {
    this.events.add(events, { partition });
    if (malformed > 0) this.malformed.add(malformed, { partition });
    if (lagSeconds !== null) this.lag.record(lagSeconds, { partition });
  }

  skipped(reason: string, count: number): void {
    this.skips.add(count, { reason });
  }

  swept(milliseconds: number, silenced: number): void {
    this.sweepDuration.record(milliseconds);
    this.silenced.add(silenced);
  }

  alerted(kind: 'silent' | 'recovered', count: number): void {
    this.alerts.add(count, { kind });
  }

  jobProgress(type: 'export' | 'import', identities: number): void {
    this.jobIdentities.add(identities, { type });
  }
}
