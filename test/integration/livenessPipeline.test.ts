import { beforeEach, describe, expect, it } from 'vitest';
import { AlertRelay } from '../../src/application/liveness/AlertRelay';
import { LivenessIngest } from '../../src/application/liveness/LivenessIngest';
import { LivenessSweep } from '../../src/application/liveness/LivenessSweep';
import { PipelineMonitor } from '../../src/application/liveness/PipelineMonitor';
import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import { indexDeadline, type LivenessPolicy } from '../../src/domain/liveness/LivenessRecord';
import type { RawEvent } from '../../src/domain/liveness/RawEvent';
import type { TableLivenessStore } from '../../src/adapters/tables/TableLivenessStore';
import { silentLogger } from '../../src/ports/Logger';
import { lifecycle, t, telemetry } from '../support/livenessEvents';
import { freshLivenessStore } from '../support/livenessTable';

const policy: LivenessPolicy = {
  defaultIntervalSeconds: 60,
  graceFactor: 2,
  tombstoneSeconds: 600,
};

describe('liveness: ingest and sweep on Table storage', () => {
  let store: TableLivenessStore;
  let now: Date;
  let published: LivenessAlert[];
  let ingest: LivenessIngest;
  let sweep: LivenessSweep;
  let waiting: Date | null;

  const make = (s: TableLivenessStore) => {
    const alerts = new AlertRelay(
      s,
      { publish: (a: readonly LivenessAlert[]) => (published.push(...a), Promise.resolve()) },
      silentLogger,
    );
    const clock = { now: () => now };
    return {
      ingest: new LivenessIngest(s, policy, silentLogger, alerts, clock),
      sweep: new LivenessSweep(
        s,
        new PipelineMonitor(s, { oldestUnprocessed: () => Promise.resolve(waiting) }, 30),
        alerts,
        policy,
        silentLogger,
      ),
    };
  };

  beforeEach(async () => {
    store = await freshLivenessStore();
    now = new Date(t(0));
    published = [];
    waiting = null;
    ({ ingest, sweep } = make(store));
  });

  const entry = async (deviceId: string, moduleId: string | null = null) =>
    (await store.readMany([{ deviceId, moduleId }])).get(`${deviceId}\u0000${moduleId ?? ''}`)
      ?.record;
  const feed = (events: RawEvent[]) => ingest.ingest(events, '0');
  const at = (seconds: number) => (now = new Date(t(seconds)));

  it('goes neverSeen → online → silent → online with exactly one alert per transition', async () => {
    await feed([lifecycle('createDeviceIdentity', 'd1', t(0), { generationId: '100' })]);
    expect((await entry('d1'))?.state).toBe('neverSeen');

    await feed([telemetry('d1', t(10)), telemetry('d1', t(50), { heartbeat: false })]);
    expect(await entry('d1')).toMatchObject({
      state: 'online',
      lastSeen: t(50),
      lastHeartbeat: t(10),
      deadline: t(170),
    });

    at(169);
    expect((await sweep.sweep(now)).silenced).toBe(0);
    at(171);
    expect((await sweep.sweep(now)).silenced).toBe(1);
    expect((await sweep.sweep(now)).silenced).toBe(0);
    expect(await entry('d1')).toMatchObject({
      state: 'silent',
      stateSince: t(170),
      deadline: null,
    });

    at(300);
    await feed([telemetry('d1', t(290)), telemetry('d1', t(295))]);
    await feed([telemetry('d1', t(295))]); // redelivered
    expect((await entry('d1'))?.state).toBe('online');
    expect(published.map((a) => a.kind)).toEqual(['silent', 'recovered']);
    expect(published[1]).toMatchObject({ at: t(290), lastSeen: t(50), outageSeconds: 240 });
    const log = await store.listAlerts(10);
    expect(log.items.map((a) => a.kind)).toEqual(['silent', 'recovered']);
  });

  it('keeps an alert whose publishing failed pending, and the next sweep publishes it once', async () => {
    let down = true;
    const relay = new AlertRelay(
      store,
      {
        publish: (a: readonly LivenessAlert[]) =>
          down
            ? Promise.reject(new Error('alerts hub down'))
            : (published.push(...a), Promise.resolve()),
      },
      silentLogger,
    );
    const failing = new LivenessSweep(
      store,
      new PipelineMonitor(store, { oldestUnprocessed: () => Promise.resolve(null) }, 30),
      relay,
      policy,
      silentLogger,
    );
    await feed([telemetry('pa', t(0))]);
    at(200);
    expect((await failing.sweep(now)).silenced).toBe(1);
    expect(published).toEqual([]);
    expect((await store.listPendingAlerts(10)).map((a) => a.kind)).toEqual(['silent']);
    down = false;
    at(210);
    const next = await failing.sweep(now);
    expect(next).toMatchObject({ silenced: 0, relayed: 1 });
    expect(published.map((a) => `${a.kind}:${a.deviceId}`)).toEqual(['silent:pa']);
    expect(await store.listPendingAlerts(10)).toEqual([]);
    expect((await failing.sweep(now)).relayed).toBe(0);
    expect((await store.listAlerts(10)).items.map((a) => a.kind)).toEqual(['silent']);
  });

  it('turns many events of a device into one write, in transactions shared across devices', async () => {
    const events = Array.from({ length: 300 }, (_, i) => telemetry(`w${i % 30}`, t(i)));
    const before = { ...store.counters };
    const result = await feed(events);
    expect(result).toMatchObject({ events: 300, identities: 30, writes: 30 });
    // 30 devices over 8 partitions: one transaction per partition at most, plus the progress row.
    expect(store.counters.writeRequests - before.writeRequests).toBeLessThanOrEqual(8);
    const again = { ...store.counters };
    await feed(Array.from({ length: 300 }, (_, i) => telemetry(`w${i % 30}`, t(1000 + i))));
    expect(store.counters.reads - again.reads).toBe(0); // entries and etags come from the cache
    expect((await entry('w7'))?.lastSeen).toBe(t(1000 + 277)); // i = 277 is w7's last event
  });

  it('uses the interval a heartbeat declares', async () => {
    await feed([telemetry('d2', t(0), { intervalSeconds: 300 })]);
    expect(await entry('d2')).toMatchObject({
      state: 'online',
      declaredIntervalSeconds: 300,
      deadline: t(600),
    });
  });

  it('forgets a deleted device, ignores its late heartbeats, and starts a re-created one afresh', async () => {
    await feed([
      lifecycle('createDeviceIdentity', 'd3', t(0), { generationId: '100' }),
      telemetry('d3', t(5), { generationId: '100' }),
    ]);
    await feed([lifecycle('deleteDeviceIdentity', 'd3', t(10), { generationId: '100' })]);
    expect((await store.listByState(undefined, 10)).items.map((r) => r.deviceId)).not.toContain(
      'd3',
    );
    await feed([telemetry('d3', t(8), { generationId: '100' }), telemetry('d3', t(20))]);
    expect((await entry('d3'))?.deletedAt).toBe(t(10));

    await feed([lifecycle('createDeviceIdentity', 'd3', t(30), { generationId: '200' })]);
    expect(await entry('d3')).toMatchObject({
      generationId: '200',
      state: 'neverSeen',
      deletedAt: null,
      lastSeen: null,
    });
    await feed([telemetry('d3', t(31), { generationId: '100' })]);
    expect((await entry('d3'))?.state).toBe('neverSeen');
  });

  it('purges a tombstone after its retention, so the row is gone', async () => {
    await feed([
      lifecycle('createDeviceIdentity', 'd4', t(0), { generationId: '1' }),
      lifecycle('deleteDeviceIdentity', 'd4', t(1), { generationId: '1' }),
    ]);
    at(1 + 600 + 1);
    expect((await sweep.sweep(now)).purged).toBe(1);
    expect(await entry('d4')).toBeUndefined();
    expect((await store.listDue(t(100000), 100)).length).toBe(0);
  });

  it('never alerts on a disabled device', async () => {
    await feed([
      lifecycle('createDeviceIdentity', 'd5', t(0), { generationId: '1' }),
      telemetry('d5', t(1)),
    ]);
    await feed([
      lifecycle('updateDeviceIdentityStatus', 'd5', t(2), {
        generationId: '1',
        status: 'disabled',
      }),
    ]);
    at(1000);
    expect((await sweep.sweep(now)).silenced).toBe(0);
    expect(await entry('d5')).toMatchObject({ enabled: false, state: 'online', deadline: null });
    expect(published).toEqual([]);
  });

  it('skips and counts malformed events without losing the good ones', async () => {
    const result = await feed([
      { body: 'x', systemProperties: {}, properties: {}, enqueuedTimeUtc: t(1) },
      {
        body: null,
        systemProperties: { 'iothub-connection-device-id': 'd6' },
        properties: {},
        enqueuedTimeUtc: 'not a time',
      },
      {
        body: '{',
        systemProperties: undefined,
        properties: { opType: 'explodeDevice' },
        enqueuedTimeUtc: t(1),
      },
      telemetry('d6', t(2)),
    ]);
    expect(result).toMatchObject({ events: 4, malformed: 3, identities: 1, writes: 1 });
    expect((await entry('d6'))?.lastSeen).toBe(t(2));
  });

  it('alerts once when two sweeps overlap', async () => {
    await feed(Array.from({ length: 20 }, (_, i) => telemetry(`race${i}`, t(0))));
    at(500);
    const other = make(store).sweep;
    const [a, b] = await Promise.all([sweep.sweep(now), other.sweep(now)]);
    expect(a.silenced + b.silenced).toBe(20);
    expect(published).toHaveLength(20);
    expect((await store.listAlerts(100)).items).toHaveLength(20);
  });

  it('holds silent alerts while the pipeline is behind, and says so', async () => {
    await feed([telemetry('d7', t(0))]);
    at(500);
    waiting = new Date(t(400));
    expect(await sweep.sweep(now)).toMatchObject({
      silenced: 0,
      held: 1,
      current: false,
      lagSeconds: 100,
    });
    waiting = null;
    expect(await sweep.sweep(now)).toMatchObject({ silenced: 1, current: true });
  });

  it('gives the same map for duplicated and shuffled delivery as for in-order delivery', async () => {
    const stream: RawEvent[] = [
      lifecycle('createDeviceIdentity', 'o1', t(0), { generationId: '1' }),
      ...Array.from({ length: 30 }, (_, i) =>
        telemetry(`o${1 + (i % 3)}`, t(10 + i * 7), {
          heartbeat: i % 2 === 0,
          intervalSeconds: i % 5 === 0 ? 120 : undefined,
        }),
      ),
      lifecycle('updateDeviceIdentityStatus', 'o2', t(100), {
        generationId: '1',
        status: 'disabled',
      }),
      telemetry('o3', t(150), { moduleId: 'm' }),
    ];
    const inOrder = await freshLivenessStore();
    await make(inOrder).ingest.ingest(stream, '0');

    const shuffledStore = await freshLivenessStore();
    const shuffled = make(shuffledStore).ingest;
    const noisy = [...stream, ...stream.slice(5, 20)]
      .map((e, i) => ({ e, k: (i * 7919) % 101 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.e);
    for (let i = 0; i < noisy.length; i += 7) await shuffled.ingest(noisy.slice(i, i + 7), '0');

    // Where an index row sits between heartbeats depends on the delivery (the sweep moves an
    // early one to the deadline); what the map says does not, and no row is ever late.
    const dump = async (s: TableLivenessStore) =>
      (await s.listByState(undefined, 100)).items
        .map(({ filedDeadline, ...record }) => {
          const filed = indexDeadline({ ...record, filedDeadline });
          expect(filed === null || (record.deadline !== null && filed <= record.deadline)).toBe(
            true,
          );
          return record;
        })
        .sort((a, b) => (a.deviceId + a.moduleId < b.deviceId + b.moduleId ? -1 : 1));
    expect(await dump(shuffledStore)).toEqual(await dump(inOrder));
    expect((await dump(inOrder)).length).toBe(4);
  });
});
