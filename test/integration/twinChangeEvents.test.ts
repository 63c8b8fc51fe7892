import {
  EventHubConsumerClient,
  earliestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { afterAll, describe, expect, it } from 'vitest';
import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import type { LifecyclePublisher } from '../../src/ports/LifecyclePublisher';
import { eventually } from '../support/blobContainers';
import { api } from '../support/registryApi';
import { startTestRuntime, type TestRuntime } from '../support/testRuntime';

const NEVER = '0001-01-01T00:00:00Z';

/** Every event on the runtime's lifecycle/telemetry hub, read to its end with a consumer of its own. */
async function eventsOnHub(rt: TestRuntime): Promise<ReceivedEventData[]> {
  const connection = rt.settings.EVENTHUB_CONNECTION!;
  const consumer = new EventHubConsumerClient('tests', connection, 'telemetry');
  try {
    const ends = new Map<string, number>();
    for (const id of await consumer.getPartitionIds())
      ends.set(id, (await consumer.getPartitionProperties(id)).lastEnqueuedSequenceNumber);
    const seen: ReceivedEventData[] = [];
    const last = new Map<string, number>();
    const reader = consumer.subscribe(
      {
        processEvents: (events, context) => {
          seen.push(...events);
          for (const e of events) last.set(context.partitionId, e.sequenceNumber);
          return Promise.resolve();
        },
        processError: () => Promise.resolve(),
      },
      { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 0.2 },
    );
    await eventually(
      () =>
        [...ends].every(([id, end]) => end < 0 || (last.get(id) ?? -1) >= end) ? true : undefined,
      'the consumer to read the hub to its end',
    );
    await reader.close();
    return seen;
  } finally {
    await consumer.close();
  }
}

const twinEvents = (events: readonly ReceivedEventData[], deviceId: string) =>
  events.filter(
    (e) =>
      e.properties?.['iothub-message-source'] === 'twinChangeEvents' &&
      e.properties.deviceId === deviceId,
  );

/** A publisher that fails, or "crashes" the relay right after publishing, when told to. */
function controlledPublisher() {
  const published: LifecycleNotification[] = [];
  const state = { failuresLeft: 0, afterPublish: undefined as (() => void) | undefined };
  const decorate = (inner: LifecyclePublisher): LifecyclePublisher => ({
    publish: async (n) => {
      if (state.failuresLeft > 0) {
        state.failuresLeft--;
        throw new Error('Event Hubs refused the batch');
      }
      await inner.publish(n);
      published.push(...n);
      const hook = state.afterPublish;
      state.afterPublish = undefined;
      if (hook) {
        hook();
        throw new Error('the relay died after publishing');
      }
    },
  });
  return { published, state, decorate };
}

const twinChanges = (ns: readonly LifecycleNotification[]) =>
  ns.filter((n) => n.systemProperties['iothub-message-source'] === 'twinChangeEvents');

describe('twin change notifications (twinChangeEvents)', () => {
  const runtimes: TestRuntime[] = [];
  const start = async (
    rec = controlledPublisher(),
    settings: Record<string, string> = {},
  ): Promise<TestRuntime> => {
    const rt = await startTestRuntime(settings, { decorate: { lifecyclePublisher: rec.decorate } });
    runtimes.push(rt);
    return rt;
  };
  afterAll(async () => {
    for (const rt of runtimes) await rt.stop();
  });

  it("puts exactly one event on the hub for a PATCH, with IoT Hub's properties and body", async () => {
    const rt = await start();
    const call = (method: string, path: string, body?: unknown) =>
      api(method, path, { baseUrl: rt.url, ...(body === undefined ? {} : { body }) });
    expect((await call('PUT', '/devices/tce-1', {})).status).toBe(200);
    expect((await call('PUT', '/devices/tce-1/modules/m1', {})).status).toBe(200);
    const patched = await call('PATCH', '/twins/tce-1', {
      tags: { site: 'plant-1', location: { floor: 2 } },
      properties: { desired: { telemetryInterval: 30 } },
    });
    expect(patched.status, patched.text).toBe(200);
    // The same values again change nothing: no write, no event.
    const again = await call('PATCH', '/twins/tce-1', { tags: { site: 'plant-1' } });
    expect(again.json.version).toBe(patched.json.version);
    const replaced = await call('PUT', '/twins/tce-1/modules/m1', { tags: { role: 'sensor' } });
    expect(replaced.status, replaced.text).toBe(200);
    await rt.settled();

    const events = await eventsOnHub(rt);
    const device = twinEvents(events, 'tce-1').filter((e) => !e.properties?.moduleId);
    expect(device).toHaveLength(1);
    const [event] = device as [ReceivedEventData];
    const lifecycle = events.find(
      (e) => e.properties?.opType === 'createDeviceIdentity' && !e.properties.moduleId,
    );
    expect(event.properties).toMatchObject({
      opType: 'updateTwin',
      hubName: lifecycle?.properties?.hubName,
      deviceId: 'tce-1',
      operationTimestamp: rt.clock.now().toISOString(),
      'iothub-message-schema': 'twinChangeNotification',
      'iothub-message-source': 'twinChangeEvents',
      'iothub-connection-device-id': 'tce-1',
    });
    expect(event.properties).not.toHaveProperty('moduleId');
    // The lifecycle scheme: a stable id and a number above the device's create.
    expect(event.messageId).toBe(event.properties?.notificationId);
    expect(Number(event.properties?.lifecycleSequence)).toBeGreaterThan(
      Number(lifecycle?.properties?.lifecycleSequence),
    );
    expect(event.partitionKey).toBe('tce-1');
    expect(event.body).toEqual({
      version: patched.json.version,
      tags: { site: 'plant-1', location: { floor: 2 } },
      properties: {
        desired: {
          telemetryInterval: 30,
          $metadata: {
            $lastUpdated: expect.any(String),
            $lastUpdatedVersion: 2,
            telemetryInterval: { $lastUpdated: expect.any(String), $lastUpdatedVersion: 2 },
          },
          $version: 2,
        },
      },
    });

    // A module twin's PUT: replaceTwin with the module's ID and its whole twin.
    const module = twinEvents(events, 'tce-1').filter((e) => e.properties?.moduleId === 'm1');
    expect(module).toHaveLength(1);
    expect(module[0]?.properties).toMatchObject({
      opType: 'replaceTwin',
      'iothub-connection-module-id': 'm1',
    });
    expect(module[0]?.body).toMatchObject({
      deviceId: 'tce-1',
      moduleId: 'm1',
      etag: replaced.json.etag,
      version: replaced.json.version,
      tags: { role: 'sensor' },
      properties: { desired: { $version: 1 }, reported: { $version: 1 } },
    });

    // The liveness ingest read them all, and counted none as the device's activity.
    const seen = await call('GET', '/devices/tce-1');
    expect(seen.json).toMatchObject({ connectionState: 'Disconnected', lastActivityTime: NEVER });
    expect((await call('GET', '/devices/tce-1/modules/m1')).json.lastActivityTime).toBe(NEVER);
  });

  it('commits the notification with the twin write: a dead relay loses none, a failed write adds none', async () => {
    const rec = controlledPublisher();
    const first = await start(rec);
    expect((await api('PUT', '/devices/tce-2', { baseUrl: first.url, body: {} })).status).toBe(200);
    await first.settled();
    first.relay.abandon();
    const patch = (body: unknown, headers: Record<string, string> = {}) =>
      api('PATCH', '/twins/tce-2', { baseUrl: first.url, body, headers });
    const ok = await patch({ tags: { a: 1 } });
    expect(ok.status).toBe(200);
    // Refused writes: stale If-Match, a broken limit, a change of nothing. None is recorded.
    expect((await patch({ tags: { a: 2 } }, { 'If-Match': '"stale"' })).status).toBe(412);
    expect((await patch({ tags: { 'a.b': 1 } })).status).toBe(400);
    expect((await patch({ tags: { a: 1 } })).status).toBe(200);
    expect((await patch({ tags: { b: { c: true } } })).status).toBe(200);
    // Two changes, two records: each twin version that was written has its notification.
    expect(await first.pendingOutbox()).toBe(2);
    expect(twinChanges(rec.published)).toEqual([]);

    // The next process fails to publish them twice, then publishes and dies before completing
    // them, so the one after it publishes them again.
    await first.stop();
    const running: { second?: TestRuntime } = {};
    rec.state.failuresLeft = 2;
    rec.state.afterPublish = () => running.second?.relay.abandon();
    const second = (running.second = await start(rec, first.settings));
    await eventually(() => (rec.state.afterPublish ? undefined : true), 'the relay to die');
    await second.stop();
    const third = await start(rec, first.settings);
    await third.settled();
    const published = twinChanges(rec.published);
    const ids = [...new Set(published.map((n) => n.properties.notificationId))];
    expect(ids).toHaveLength(2);
    expect(published.length).toBeGreaterThan(2);
    const firstCopies = ids.map((id) => published.find((n) => n.properties.notificationId === id)!);
    expect(firstCopies.map((n) => n.body.tags)).toEqual([{ a: 1 }, { b: { c: true } }]);
    const twin = (await api('GET', '/twins/tce-2', { baseUrl: third.url })).json;
    expect(firstCopies.at(-1)?.body.version).toBe(twin.version);
    expect(twin.tags).toEqual({ a: 1, b: { c: true } });
  }, 60_000);
});
