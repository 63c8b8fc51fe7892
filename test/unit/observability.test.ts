import { setTimeout as delay } from 'node:timers/promises';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../src/adapters/logging/jsonLogger';
import { withOperation } from '../../src/adapters/logging/operationContext';
import { OtelMetrics } from '../../src/adapters/telemetry/OtelMetrics';

describe('structured logs', () => {
  it('writes one JSON object per line, with the operation id across awaits', async () => {
    const lines: string[] = [];
    const log = jsonLogger((l) => lines.push(l));
    log.info('outside');
    await withOperation('op-1', async () => {
      await delay(1);
      log.warn('inside');
      log.error('failed', new Error('disk full'));
    });
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => [p.level, p.message, p.operationId])).toEqual([
      ['info', 'outside', undefined],
      ['warn', 'inside', 'op-1'],
      ['error', 'failed', 'op-1'],
    ]);
    expect(parsed[2]?.error).toEqual({ name: 'Error', message: 'disk full' });
    expect(Date.parse(String(parsed[0]?.time))).not.toBeNaN();
  });
});

describe('metrics through OpenTelemetry', () => {
  it('counts requests by route and status, ingest by partition, sweeps, alerts and jobs', async () => {
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    });
    const provider = new MeterProvider({ readers: [reader] });
    const m = new OtelMetrics(provider);
    m.request('getDevice', 200, 3);
    m.request('getDevice', 200, 5);
    m.request('getDevice', 404, 2);
    m.ingested('0', 100, 2, 1.5);
    m.ingested('1', 50, 0, null);
    m.swept(12, 3);
    m.alerted('silent', 3);
    m.jobProgress('export', 500);
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string) =>
      all
        .find((x) => x.descriptor.name === name)
        ?.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }));
    expect(points('registry.requests')).toEqual([
      { attributes: { route: 'getDevice', status: 200 }, value: 2 },
      { attributes: { route: 'getDevice', status: 404 }, value: 1 },
    ]);
    expect(points('liveness.ingest.events')).toEqual([
      { attributes: { partition: '0' }, value: 100 },
      { attributes: { partition: '1' }, value: 50 },
    ]);
    expect(points('liveness.ingest.malformed')).toEqual([
      { attributes: { partition: '0' }, value: 2 },
    ]);
    expect(points('liveness.sweep.silenced')).toEqual([{ attributes: {}, value: 3 }]);
    expect(points('liveness.alerts')).toEqual([{ attributes: { kind: 'silent' }, value: 3 }]);
    expect(points('jobs.identities')).toEqual([{ attributes: { type: 'export' }, value: 500 }]);
    expect(points('liveness.ingest.lag')?.[0]?.value).toMatchObject({ count: 1, sum: 1.5 });
    await provider.shutdown();
  });
});
