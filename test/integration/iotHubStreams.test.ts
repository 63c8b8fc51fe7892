import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawEvent } from '../../src/domain/liveness/RawEvent';
import { eventually } from '../support/blobContainers';
import {
  asEventData,
  connectionState,
  digitalTwinChange,
  seq,
  t,
  twinChange,
} from '../support/livenessEvents';
import { api } from '../support/registryApi';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

/**
 * Every source an IoT Hub route sends, as the hub writes it, through the embedded Event Hubs
 * and the local trigger into the liveness map, the twins and the alert log.
 */
describe('the monitor behind an IoT Hub route', () => {
  let rt: TestRuntime;
  let producer: EventHubProducerClient;
  const call = (method: string, path: string, body?: unknown) =>
    api(method, path, { baseUrl: rt.url, ...(body === undefined ? {} : { body }) });
  /** Sends events to one partition of the lifecycle/telemetry hub, each in a batch of its own. */
  const send = async (partitionId: '0' | '1', ...events: RawEvent[]) => {
    for (const raw of events) {
      const batch = await producer.createBatch({ partitionId });
      batch.tryAdd(asEventData(raw));
      await producer.sendBatch(batch);
    }
  };
  /** A device message as a route delivers it: the hub's stamps travel as properties here. */
  const telemetry = (deviceId: string, at: string): RawEvent => ({
    body: { temperature: 21 },
    systemProperties: {
      'iothub-connection-device-id': deviceId,
      'iothub-message-source': 'Telemetry',
      'iothub-enqueuedtime': at,
    },
    properties: { messageType: 'heartbeat' },
    enqueuedTimeUtc: at,
  });
  const liveness = async (deviceId: string) =>
    (await call('GET', `/devices/${deviceId}/liveness`)).json as Record<string, unknown>;
  const registryView = async (deviceId: string) => {
    const { connectionState, connectionStateUpdatedTime } = (
      await call('GET', `/devices/${deviceId}`)
    ).json as Record<string, unknown>;
    return { connectionState, connectionStateUpdatedTime };
  };
  /** The twins' copy, as a query sees it. */
  const twinState = async (deviceId: string) =>
    (
      (
        await call('POST', '/devices/query', {
          query: `SELECT connectionState, connectionStateUpdatedTime FROM devices WHERE deviceId = '${deviceId}'`,
        })
      ).json as unknown[]
    )[0];
  const alertsOf = async (deviceId: string) =>
    (await call('GET', `/liveness/alerts?deviceId=${deviceId}`)).json as Record<string, unknown>[];
  const hubTime = (iso: string) => iso.replace(/\.000Z$/, 'Z');

  beforeAll(async () => {
    rt = await startTestRuntime({
      LIVENESS_DISCONNECT_GRACE_SECONDS: '30',
      EVENTHUB_CONSUMER_GROUPS: 'mine, audit',
    });
    producer = new EventHubProducerClient(rt.settings.EVENTHUB_CONNECTION!, 'telemetry');
  }, 120_000);
  afterAll(async () => {
    await producer?.close();
    await rt?.stop();
  });

  it('reads each documented event shape into the map, the twin and the alert log', async () => {
    await call('PUT', '/devices/hub-1', {});
    await rt.settled();
    // Back-end changes: tags, desired properties, the digital twin. None is the device's doing.
    await send(
      '0',
      twinChange('hub-1', t(1), { tags: { site: 'north' } }),
      twinChange('hub-1', t(2), { desired: { interval: 30 } }),
      twinChange('hub-1', t(3), { desired: { interval: 30 } }, { opType: 'replaceTwin' }),
      digitalTwinChange('hub-1', t(4)),
    );
    await rt.settled();
    expect(await liveness('hub-1')).toMatchObject({ state: 'neverSeen', lastSeen: null });

    // The device reports a property: activity.
    await send('0', twinChange('hub-1', t(5), { reported: { firmware: '1.0' } }));
    await rt.settled();
    expect(await liveness('hub-1')).toMatchObject({ state: 'online', lastSeen: t(5) });

    // A message, then it connects: both activity; the hub's connection state shows.
    await send(
      '0',
      telemetry('hub-1', t(10)),
      connectionState('deviceConnected', 'hub-1', t(20), seq(1)),
    );
    await rt.settled();
    expect(await liveness('hub-1')).toMatchObject({
      state: 'online',
      lastSeen: t(20),
      lastHeartbeat: t(10),
      connection: { state: 'connected', at: t(20), sequenceNumber: seq(1) },
    });
    expect(await registryView('hub-1')).toEqual({
      connectionState: 'Connected',
      connectionStateUpdatedTime: hubTime(t(20)),
    });
    expect(await twinState('hub-1')).toEqual({
      connectionState: 'Connected',
      connectionStateUpdatedTime: t(20),
    });

    // It drops off: not activity; the map, the registry and the twin say Disconnected at once.
    await send('0', connectionState('deviceDisconnected', 'hub-1', t(40), seq(2)));
    await rt.settled();
    expect(await liveness('hub-1')).toMatchObject({
      state: 'online',
      lastSeen: t(20),
      connection: { state: 'disconnected', at: t(40) },
      deadline: t(70), // LIVENESS_DISCONNECT_GRACE_SECONDS = 30
    });
    expect(await registryView('hub-1')).toEqual({
      connectionState: 'Disconnected',
      connectionStateUpdatedTime: hubTime(t(40)),
    });
    expect(await twinState('hub-1')).toEqual({
      connectionState: 'Disconnected',
      connectionStateUpdatedTime: t(40),
    });

    // Disconnected for longer than the grace: silent once, from the disconnect.
    rt.clock.set(t(71));
    expect(await rt.runtime.services.liveness.sweep.sweep(rt.clock.now())).toMatchObject({
      silenced: 1,
    });
    expect(await rt.runtime.services.liveness.sweep.sweep(rt.clock.now())).toMatchObject({
      silenced: 0,
    });
    expect(await liveness('hub-1')).toMatchObject({
      state: 'silent',
      stateSince: t(40),
      silentReason: 'disconnected',
    });

    // Back: one recovered alert, with the outage from the disconnect.
    await send('0', connectionState('deviceConnected', 'hub-1', t(100), seq(3)));
    await rt.settled();
    expect(await alertsOf('hub-1')).toEqual([
      expect.objectContaining({ kind: 'silent', at: t(40), reason: 'disconnected' }),
      expect.objectContaining({ kind: 'recovered', at: t(100), outageSeconds: 60 }),
    ]);
    expect(await twinState('hub-1')).toEqual({
      connectionState: 'Connected',
      connectionStateUpdatedTime: t(100),
    });
  });

  it('takes the state the highest sequence number says, across batches and partitions, with one alert per transition', async () => {
    await call('PUT', '/devices/hub-2', {});
    await rt.settled();
    const connect1 = connectionState('deviceConnected', 'hub-2', t(150), seq(10));
    const drop2 = connectionState('deviceDisconnected', 'hub-2', t(200), seq(11));
    // The disconnect first, each twice, on both partitions.
    await send('1', drop2);
    await send('0', drop2, connect1);
    await send('1', connect1);
    await rt.settled();
    expect(await liveness('hub-2')).toMatchObject({
      state: 'online',
      lastSeen: t(150),
      connection: { state: 'disconnected', at: t(200), sequenceNumber: seq(11) },
      deadline: t(230),
    });
    expect(await twinState('hub-2')).toEqual({
      connectionState: 'Disconnected',
      connectionStateUpdatedTime: t(200),
    });
    rt.clock.set(t(231));
    await rt.runtime.services.liveness.sweep.sweep(rt.clock.now());
    // The reconnect twice over both partitions, the old events again around it.
    const connect3 = connectionState('deviceConnected', 'hub-2', t(300), seq(12));
    await send('1', connect3, drop2);
    await send('0', connect1, connect3);
    await rt.settled();
    rt.clock.set(t(320));
    await rt.runtime.services.liveness.sweep.sweep(rt.clock.now());
    expect(await liveness('hub-2')).toMatchObject({
      state: 'online',
      lastSeen: t(300),
      connection: { state: 'connected', at: t(300), sequenceNumber: seq(12) },
    });
    expect((await alertsOf('hub-2')).map((a) => `${String(a.kind)}@${String(a.at)}`)).toEqual([
      `silent@${t(200)}`,
      `recovered@${t(300)}`,
    ]);
    expect(await twinState('hub-2')).toEqual({
      connectionState: 'Connected',
      connectionStateUpdatedTime: t(300),
    });
  });

  it('skips and counts what it cannot read, and the partition goes on', async () => {
    const before = { ...rt.runtime.services.liveness.ingest.skips };
    const good = connectionState('deviceConnected', 'hub-3', t(400), seq(20));
    await send(
      '1',
      { ...good, body: { sequenceNumber: 'not a hex number' } },
      { ...good, body: Buffer.from('not json{') },
      {
        ...good,
        properties: { opType: 'deviceConnected' },
        systemProperties: { 'iothub-message-source': 'deviceConnectionStateEvents' },
      },
      { ...good, systemProperties: { 'iothub-message-source': 'deviceJobLifecycleEvents' } },
      { ...good, properties: { ...good.properties, opType: 'deviceRebooted' } },
      good,
    );
    await rt.settled();
    expect((await liveness('hub-3')).state).toBe('online');
    const after = rt.runtime.services.liveness.ingest.skips;
    const delta = (reason: keyof typeof after) => (after[reason] ?? 0) - (before[reason] ?? 0);
    expect(
      ['badSequenceNumber', 'badBody', 'missingDeviceId', 'unknownSource', 'unknownOpType'].map(
        (r) => delta(r as keyof typeof after),
      ),
    ).toEqual([1, 1, 1, 1, 1]);
  });

  it('lets a consumer of the user’s own read lifecycle events and alerts while the service runs', async () => {
    const connection = rt.settings.EVENTHUB_CONNECTION!;
    const seen: ReceivedEventData[] = [];
    const alerts: ReceivedEventData[] = [];
    const mine = new EventHubConsumerClient('mine', connection, 'telemetry');
    const audit = new EventHubConsumerClient('audit', connection, 'alerts');
    const handlers = (into: ReceivedEventData[]) => ({
      processEvents: (events: ReceivedEventData[]) => (into.push(...events), Promise.resolve()),
      processError: () => Promise.resolve(),
    });
    const subscriptions = [
      mine.subscribe(handlers(seen), { startPosition: earliestEventPosition }),
      audit.subscribe(handlers(alerts), { startPosition: earliestEventPosition }),
    ];
    try {
      await call('PUT', '/devices/hub-4', {});
      const created = await eventually(
        () =>
          seen.find(
            (e) =>
              e.properties?.opType === 'createDeviceIdentity' && e.properties?.deviceId === 'hub-4',
          ),
        'the user’s consumer to read the lifecycle event',
      );
      expect(created.properties).toMatchObject({
        'iothub-message-source': 'deviceLifecycleEvents',
      });
      await eventually(
        () => alerts.find((e) => (e.body as { deviceId?: string }).deviceId === 'hub-1'),
        'the user’s consumer to read an alert',
      );
      // A group nobody configured does not exist on the stand-in, as on a namespace.
      const stranger = new EventHubConsumerClient('strangers', connection, 'telemetry');
      let refused: unknown;
      const attempt = stranger.subscribe(
        {
          processEvents: () => Promise.resolve(),
          processError: (error) => {
            refused ??= error;
            return Promise.resolve();
          },
        },
        { startPosition: earliestEventPosition },
      );
      await eventually(() => refused, 'a consumer on an unknown group to be refused');
      await attempt.close();
      await stranger.close();
      // The service's own consumers were not pushed aside: they still take every event in.
      await rt.settled();
      expect((await liveness('hub-4')).state).toBe('neverSeen');
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()));
      await Promise.all([mine.close(), audit.close()]);
    }
  });
});
