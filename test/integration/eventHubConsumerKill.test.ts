import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type EventData,
} from '@azure/event-hubs';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  startEventHubsStandIn,
  type EventHubsStandIn,
} from '../../standins/eventhubs/startEventHubsStandIn';
import { eventually } from '../support/blobContainers';
import { compiledBuild } from '../support/compiledBuild';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess';

interface Entry {
  deviceId: string;
  state: string;
  lastSeen: string | null;
  lastHeartbeat: string | null;
  intervalSeconds: number;
}

const SILENT = 10; // devices flagged silent before the stream, recovered by it
const STEADY = 30;
const EVENTS_PER_DEVICE = 150;

/**
 * The Event Hubs path as production runs it, with the consuming host killed mid-stream: the
 * host runs as its own process (the compiled `npm start`) against a test-owned Event Hubs
 * stand-in, and is killed with SIGKILL while batches are in flight. Its successor resumes from
 * the last checkpoint; the map must equal the one a clean run builds from the same events, and
 * every alert must be raised exactly once.
 */
describe('a consuming host killed mid-stream', () => {
  let build: Awaited<ReturnType<typeof compiledBuild>>;
  let hubs: EventHubsStandIn;
  let producer: EventHubProducerClient;
  const dirs: string[] = [];
  const hosts: ServiceProcess[] = [];
  const stack = inject('stack');

  beforeAll(async () => {
    build = await compiledBuild();
    hubs = await startEventHubsStandIn({
      hubs: [
        { name: 'telemetry', partitions: 4, consumerGroups: ['catalog'] },
        { name: 'alerts', partitions: 2 },
      ],
      keyName: 'RootManageSharedAccessKey',
      key: randomUUID(),
    });
    producer = new EventHubProducerClient(hubs.connectionString(), 'telemetry');
  }, 120_000);
  afterAll(async () => {
    for (const h of hosts) await h.kill();
    await producer?.close();
    await hubs?.stop();
    await build?.remove();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /**
   * A host on the shared Cosmos and Azurite with a registry of its own (`name`), on the test's
   * hub; `env` may give it a liveness map and checkpoints of its own too.
   */
  const host = async (name: string, dataDir: string, env: Record<string, string> = {}) => {
    const started = await startServiceProcess(build.dir, dataDir, {
      COSMOS_ENDPOINT: stack.cosmosEndpoint,
      COSMOS_KEY: stack.cosmosKey,
      STORAGE_CONNECTION_STRING: stack.storageConnectionString,
      EVENTHUB_CONNECTION: hubs.connectionString(),
      COSMOS_CONTAINER: `ids${name}`,
      COSMOS_JOBS_CONTAINER: `jobs${name}`,
      COSMOS_LEASE_CONTAINER: `leases${name}`,
      JOBS_QUEUE_NAME: `jobs${name}`,
      LIVENESS_TABLE: `live${name}`,
      CATALOG_TABLE: `cat${name}`,
      EVENTHUB_CHECKPOINT_CONTAINER: `eh${name}`,
      LIVENESS_SWEEP_SCHEDULE: '*/1 * * * * *',
      ...env,
    });
    hosts.push(started);
    return started;
  };
  const map = async (h: ServiceProcess) =>
    ((await h.call('GET', '/liveness?top=1000')).json as Entry[])
      .map((e) => ({
        deviceId: e.deviceId,
        state: e.state,
        lastSeen: e.lastSeen,
        lastHeartbeat: e.lastHeartbeat,
        intervalSeconds: e.intervalSeconds,
      }))
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId));

  const heartbeat = (deviceId: string, at: number, intervalSeconds: number): EventData => ({
    body: { t: at },
    properties: {
      messageType: 'heartbeat',
      intervalSeconds: String(intervalSeconds),
      'iothub-connection-device-id': deviceId,
      'iothub-message-source': 'Telemetry',
      'iothub-enqueuedtime': new Date(at).toISOString(),
    },
  });
  const send = async (events: { deviceId: string; data: EventData }[]) => {
    const byDevice = new Map<string, EventData[]>();
    for (const e of events) byDevice.set(e.deviceId, [...(byDevice.get(e.deviceId) ?? []), e.data]);
    await Promise.all(
      [...byDevice].map(async ([deviceId, data]) => {
        let batch = await producer.createBatch({ partitionKey: deviceId });
        for (const d of data) {
          if (batch.tryAdd(d)) continue;
          await producer.sendBatch(batch);
          batch = await producer.createBatch({ partitionKey: deviceId });
          batch.tryAdd(d);
        }
        await producer.sendBatch(batch);
      }),
    );
  };

  it('resumes from the checkpoint: every event applied, each alert raised once', async () => {
    const silent = Array.from({ length: SILENT }, (_, i) => `kill-silent-${i}`);
    const steady = Array.from({ length: STEADY }, (_, i) => `kill-steady-${i}`);
    const dataDir = await mkdtemp(join(tmpdir(), 'eh-kill-'));
    dirs.push(dataDir);
    const name = randomUUID().replace(/-/g, '').slice(0, 12);
    const first = await host(name, dataDir);
    for (const deviceId of [...silent, ...steady])
      expect((await first.call('PUT', `/devices/${deviceId}`, {})).status).toBe(200);
    // Their lifecycle events travel the same hub: each is in the map, never seen.
    await eventually(
      async () => ((await map(first)).length === SILENT + STEADY ? true : undefined),
      'the created devices in the map',
      30_000,
    );

    // Before the stream: devices heard once, declaring a one-second interval, go silent.
    await send(silent.map((deviceId) => ({ deviceId, data: heartbeat(deviceId, Date.now(), 1) })));
    await eventually(
      async () =>
        (await map(first)).filter((e) => e.state === 'silent').length === SILENT ? true : undefined,
      'the silent devices to be flagged',
      30_000,
    );

    // The stream: every device heartbeats on an hour's interval, in waves; the host dies after
    // the first wave is in and the rest has just been sent.
    const base = Date.now();
    const stream = Array.from({ length: EVENTS_PER_DEVICE }, (_, k) =>
      [...silent, ...steady].map((deviceId) => ({
        deviceId,
        data: heartbeat(deviceId, base + k, 3600),
      })),
    );
    const waves = [stream.slice(0, 30), stream.slice(30)].map((w) => w.flat());
    await send(waves[0]!);
    const firstWaveEnd = new Date(base + 29).toISOString();
    await eventually(
      async () =>
        (await map(first)).some((e) => (e.lastSeen ?? '') >= firstWaveEnd) ? true : undefined,
      'the first wave to be consumed',
      30_000,
    );
    await send(waves[1]!);
    await first.kill();
    const last = new Date(base + EVENTS_PER_DEVICE - 1).toISOString();

    const second = await host(name, dataDir);
    const atKill = await map(second);
    // The kill came mid-stream: the map did not have everything yet.
    expect(atKill.filter((e) => e.lastSeen === last).length).toBeLessThan(SILENT + STEADY);
    /** The host's map once every device has its last event applied. */
    const applied = (h: ServiceProcess, what: string) =>
      eventually(
        async () => {
          const m = await map(h);
          return m.length === SILENT + STEADY && m.every((e) => e.lastSeen === last)
            ? m
            : undefined;
        },
        what,
        90_000,
      );
    const recovered = await applied(second, 'the successor to apply the rest of the stream').catch(
      async (error: Error) => {
        const m = await map(second);
        throw new Error(
          `${error.message}: ${m.filter((e) => e.lastSeen === last).length} of ${m.length} done\n${second.output()}`,
        );
      },
    );

    // A clean run over the same events: fresh stores, its own checkpoints, no kill.
    await second.stop();
    const cleanDir = await mkdtemp(join(tmpdir(), 'eh-clean-'));
    dirs.push(cleanDir);
    const fresh = randomUUID().replace(/-/g, '').slice(0, 12);
    const clean = await host(name, cleanDir, {
      LIVENESS_TABLE: `live${fresh}`,
      CATALOG_TABLE: `cat${fresh}`,
      EVENTHUB_CHECKPOINT_CONTAINER: `eh${fresh}`,
      LIVENESS_SWEEP_SCHEDULE: '0 0 0 1 1 *',
    });
    const expected = await applied(clean, 'the clean run to apply the stream');
    expect(recovered).toEqual(expected);
    expect(recovered.every((e) => e.state === 'online' && e.intervalSeconds === 3600)).toBe(true);
    await clean.stop();

    // Each silent device: one silent alert and one recovered alert in the log, however often
    // its events were delivered; and the alerts hub carries each of them (by message id).
    const restarted = await host(name, dataDir);
    const alerts = (await restarted.call('GET', '/liveness/alerts')).json as {
      kind: string;
      deviceId: string;
    }[];
    const count = (kind: string) =>
      alerts
        .filter((a) => a.kind === kind)
        .map((a) => a.deviceId)
        .sort();
    expect(count('silent')).toEqual([...silent].sort());
    expect(count('recovered')).toEqual([...silent].sort());
    const consumer = new EventHubConsumerClient('$Default', hubs.connectionString(), 'alerts');
    const seen = new Set<string>();
    const reader = consumer.subscribe(
      {
        processEvents: (events) => {
          for (const e of events) seen.add(String(e.messageId));
          return Promise.resolve();
        },
        processError: () => Promise.resolve(),
      },
      { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 0.5 },
    );
    await eventually(() => (seen.size >= 2 * SILENT ? true : undefined), 'the alerts on the hub');
    await reader.close();
    await consumer.close();
    expect(seen.size).toBe(2 * SILENT);
    await restarted.stop();
  }, 300_000);
});
