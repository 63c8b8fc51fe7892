import { EventHubProducerClient, type EventData } from '@azure/event-hubs';
import type { InvocationContext } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalEventHubTrigger } from '../../local/LocalEventHubTrigger';
import { silentLogger } from '../../src/ports/Logger';
import {
  startEventHubsStandIn,
  type EventHubsStandIn,
} from '../../standins/eventhubs/startEventHubsStandIn';
import { eventually } from '../support/blobContainers';
import { startTestRuntime } from '../support/testRuntime';

interface Delivery {
  bodies: unknown[];
  meta: Record<string, unknown>;
}

/** The local Event Hubs trigger against the stand-in and Azurite, through the official SDK. */
describe('the local Event Hubs trigger', () => {
  let hubs: EventHubsStandIn;
  const triggers: LocalEventHubTrigger[] = [];
  const stack = inject('stack');

  beforeAll(async () => {
    hubs = await startEventHubsStandIn({
      hubs: [
        { name: 'meta', partitions: 1 },
        { name: 'retry', partitions: 1 },
        { name: 'shared', partitions: 4 },
      ],
      keyName: 'RootManageSharedAccessKey',
      key: randomUUID(),
    });
  });
  afterAll(async () => {
    for (const t of triggers) await t.stop();
    await hubs?.stop();
  });

  const checkpoints = () =>
    BlobServiceClient.fromConnectionString(stack.storageConnectionString).getContainerClient(
      `ckpt${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    );
  const trigger = (
    hub: string,
    handler: (messages: unknown[], context: InvocationContext) => Promise<void>,
    container = checkpoints(),
  ) => {
    const t = new LocalEventHubTrigger(`test-${hub}`, handler, silentLogger, {
      connection: hubs.connectionString(),
      eventHubName: hub,
      consumerGroup: '$Default',
      checkpoints: container,
      maxBatchSize: 100,
      prefetchCount: 300,
      maxWaitTimeInSeconds: 0.2,
      maxRetryMs: 200,
      ownershipRenewalMs: 500,
      ownershipExpiryMs: 3_000,
    });
    triggers.push(t);
    return t;
  };
  const send = async (hub: string, events: { key: string; data: EventData }[]) => {
    const client = new EventHubProducerClient(hubs.connectionString(), hub);
    try {
      for (const e of events) {
        const batch = await client.createBatch({ partitionKey: e.key });
        batch.tryAdd(e.data);
        await client.sendBatch(batch);
      }
    } finally {
      await client.close();
    }
  };

  it("hands batches over with the Functions host's trigger metadata", async () => {
    const deliveries: Delivery[] = [];
    const t = trigger('meta', (bodies, context) => {
      deliveries.push({ bodies, meta: context.triggerMetadata ?? {} });
      return Promise.resolve();
    });
    await t.start();
    await send('meta', [
      { key: 'dev-1', data: { body: { n: 1 }, properties: { MessageType: 'heartbeat' } } },
      { key: 'dev-1', data: { body: Buffer.from('not json{'), messageId: 'm-2' } },
    ]);
    const all = await eventually(() => {
      const got = deliveries.flatMap((d) => d.bodies);
      return got.length >= 2 ? deliveries : undefined;
    }, 'two events');
    const meta = all[0]!.meta;
    expect(all[0]!.bodies[0]).toEqual({ n: 1 });
    expect(meta.partitionContext).toMatchObject({
      consumerGroup: '$Default',
      eventHubName: 'meta',
      partitionId: '0',
    });
    expect(meta.propertiesArray).toEqual(expect.arrayContaining([{ messageType: 'heartbeat' }]));
    const system = (meta.systemPropertiesArray as Record<string, unknown>[])[0]!;
    expect(system).toMatchObject({
      sequenceNumber: 0,
      partitionKey: 'dev-1',
      'x-opt-sequence-number': 0,
      'x-opt-partition-key': 'dev-1',
    });
    expect(Date.parse(String(system.enqueuedTimeUtc))).toBeGreaterThan(0);
    expect(meta.enqueuedTimeUtcArray).toHaveLength(all[0]!.bodies.length);
    expect((meta.enqueuedTimeUtcArray as string[])[0]).toBe(system.enqueuedTimeUtc);
    expect(meta.sequenceNumberArray).toEqual(all[0]!.bodies.map((_, i) => i));
    expect(await t.caughtUp()).toBe(true);
  });

  it('hands a failed batch over again until it succeeds, and checkpoints only then', async () => {
    const container = checkpoints();
    const seen: number[][] = [];
    let failures = 2;
    const first = trigger(
      'retry',
      (_bodies, context) => {
        seen.push(context.triggerMetadata!.sequenceNumberArray as number[]);
        if (failures-- > 0) return Promise.reject(new Error('the store is down'));
        return Promise.resolve();
      },
      container,
    );
    await first.start();
    await send(
      'retry',
      [1, 2, 3].map((n) => ({ key: 'k', data: { body: { n } } })),
    );
    await eventually(async () => ((await first.caughtUp()) ? true : undefined), 'success');
    // The same events each time, from the first one, until the handler succeeded.
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[1]).toEqual(seen[2]);
    expect(seen[0]![0]).toBe(0);
    await first.stop();

    // A host starting on the same checkpoints gets only what came after.
    const later: number[] = [];
    const second = trigger(
      'retry',
      (_bodies, context) => {
        later.push(...(context.triggerMetadata!.sequenceNumberArray as number[]));
        return Promise.resolve();
      },
      container,
    );
    await second.start();
    await send('retry', [{ key: 'k', data: { body: { n: 4 } } }]);
    await eventually(async () => ((await second.caughtUp()) ? true : undefined), 'the new event');
    expect(later).toEqual([3]);
  });

  it('shares the partitions between two hosts through ownership', async () => {
    const container = checkpoints();
    const handled = [new Set<string>(), new Set<string>()];
    const partitions = [new Set<string>(), new Set<string>()];
    const hosts = [0, 1].map((i) =>
      trigger(
        'shared',
        (bodies, context) => {
          for (const b of bodies) handled[i]!.add(String((b as { id: string }).id));
          partitions[i]!.add(
            (context.triggerMetadata!.partitionContext as { partitionId: string }).partitionId,
          );
          return Promise.resolve();
        },
        container,
      ),
    );
    await hosts[0]!.start();
    await hosts[1]!.start();
    const ids: string[] = [];
    await eventually(
      async () => {
        // Keep sending until each host has handled something: ownership settles over a few renewals.
        const batch = Array.from({ length: 8 }, (_, i) => {
          const id = `${ids.length + i}`;
          return { key: `device-${id}`, data: { body: { id } } };
        });
        ids.push(...batch.map((e) => e.data.body.id));
        await send('shared', batch);
        return partitions[0]!.size > 0 && partitions[1]!.size > 0 ? true : undefined;
      },
      'both hosts to own partitions',
      30_000,
    );
    await eventually(
      () => (ids.every((id) => handled[0]!.has(id) || handled[1]!.has(id)) ? true : undefined),
      'every event handled',
    );
    expect(partitions[0]!.size + partitions[1]!.size).toBeGreaterThanOrEqual(4);
  });

  it('tells the sweep the pipeline is behind when events wait in the hub', async () => {
    const rt = await startTestRuntime({}, { clockStart: new Date().toISOString() });
    try {
      await rt.consumers.stop();
      await rt.send([
        {
          partitionKey: 'lagging',
          data: {
            body: '',
            properties: {
              'iothub-connection-device-id': 'lagging',
              'iothub-message-source': 'Telemetry',
            },
          },
        },
      ]);
      rt.clock.advance(600);
      const status = await rt.runtime.services.liveness.pipeline.status(rt.clock.now());
      expect(status.current).toBe(false);
      expect(status.lagSeconds).toBeGreaterThanOrEqual(590);
    } finally {
      await rt.stop();
    }
  });
});
