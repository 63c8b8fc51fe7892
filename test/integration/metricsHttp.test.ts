import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/registryApi';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

describe('metrics of a running host, through the OpenTelemetry API', () => {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  let rt: TestRuntime;
  beforeAll(async () => {
    // As Application Insights' distro or an OTLP SDK would, before the services are built.
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    rt = await startTestRuntime();
  });
  afterAll(() => rt?.stop());

  it('counts requests by route and status, and events taken in by partition', async () => {
    await api('PUT', '/devices/m-1', { baseUrl: rt.url, body: {} });
    await api('GET', '/devices/m-1', { baseUrl: rt.url });
    await api('GET', '/devices/none', { baseUrl: rt.url });
    await rt.settled();
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const requests = all.find((m) => m.descriptor.name === 'registry.requests')?.dataPoints ?? [];
    const count = (route: string, status: number) =>
      requests.find((p) => p.attributes.route === route && p.attributes.status === status)?.value;
    expect(count('putDevice', 200)).toBe(1);
    expect(count('getDevice', 200)).toBe(1);
    expect(count('getDevice', 404)).toBe(1);
    const events =
      all.find((m) => m.descriptor.name === 'liveness.ingest.events')?.dataPoints ?? [];
    // The create's lifecycle event reached the liveness ingest through Event Hubs.
    expect(events.reduce((n, p) => n + Number(p.value), 0)).toBeGreaterThanOrEqual(1);
  });
});
