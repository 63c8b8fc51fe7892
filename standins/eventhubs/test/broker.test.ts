import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventHubsBroker } from '../EventHubsBroker';
import { startEventHubsStandIn, type EventHubsStandIn } from '../startEventHubsStandIn';

const KEY = Buffer.alloc(32, 7).toString('base64');
const connection = (port: number, key = KEY) =>
  `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=owner;SharedAccessKey=${key};UseDevelopmentEmulator=true`;

async function receive(
  port: number,
  partitionId: string,
  count: number,
): Promise<ReceivedEventData[]> {
  const consumer = new EventHubConsumerClient('$Default', connection(port), 'telemetry');
  const got: ReceivedEventData[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${got.length} of ${count} events`)),
        15_000,
      );
      const sub = consumer.subscribe(
        partitionId,
        {
          processEvents: async (events) => {
            got.push(...events);
            if (got.length >= count) {
              clearTimeout(timer);
              await sub.close();
              resolve();
            }
          },
          processError: (e) => Promise.resolve(reject(e)),
        },
        { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1, maxBatchSize: 100 },
      );
    });
  } finally {
    await consumer.close();
  }
  return got;
}

describe('the Event Hubs stand-in', () => {
  const dirs: string[] = [];
  const brokers: EventHubsBroker[] = [];
  const start = async (dataDir?: string) => {
    const broker = new EventHubsBroker({
      hubs: [{ name: 'telemetry', partitions: 4 }],
      keyName: 'owner',
      key: KEY,
      dataDir,
      log: () => undefined,
    });
    brokers.push(broker);
    return { broker, port: await broker.listen(0, '127.0.0.1') };
  };
  afterAll(() => {
    for (const b of brokers) b.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('tells its partitions and takes a batch with a partition key onto one partition', async () => {
    const { port } = await start();
    const producer = new EventHubProducerClient(connection(port), 'telemetry');
    try {
      expect(await producer.getPartitionIds()).toEqual(['0', '1', '2', '3']);
      const batch = await producer.createBatch({ partitionKey: 'device-1' });
      for (let i = 0; i < 5; i++)
        batch.tryAdd({ body: { i }, properties: { kind: 'hb' }, messageId: `m${i}` });
      await producer.sendBatch(batch);
      const props = await Promise.all(
        ['0', '1', '2', '3'].map((p) => producer.getPartitionProperties(p)),
      );
      const used = props.filter((p) => !p.isEmpty);
      expect(used).toHaveLength(1);
      expect(used[0]).toMatchObject({ lastEnqueuedSequenceNumber: 4, beginningSequenceNumber: 0 });
      const events = await receive(port, used[0]!.partitionId, 5);
      expect(events.map((e) => e.body)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
      expect(events.map((e) => e.sequenceNumber)).toEqual([0, 1, 2, 3, 4]);
      expect(events[0]).toMatchObject({
        partitionKey: 'device-1',
        properties: { kind: 'hb' },
        messageId: 'm0',
      });
      expect(events[0]!.enqueuedTimeUtc).toBeInstanceOf(Date);
    } finally {
      await producer.close();
    }
  });

  it('refuses a token signed with the wrong key', async () => {
    const { port } = await start();
    const producer = new EventHubProducerClient(
      connection(port, Buffer.alloc(32, 9).toString('base64')),
      'telemetry',
      {
        retryOptions: { maxRetries: 0 },
      },
    );
    try {
      await expect(producer.sendBatch([{ body: 'x' }])).rejects.toThrow(/signature is not valid/);
    } finally {
      await producer.close();
    }
  });

  it('keeps acknowledged events across a restart, with their sequence numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventhubs-'));
    dirs.push(dir);
    const first = await start(dir);
    const producer = new EventHubProducerClient(connection(first.port), 'telemetry');
    await producer.sendBatch([{ body: 'a' }, { body: 'b' }], { partitionId: '2' });
    await producer.close();
    first.broker.close();
    const second = await start(dir);
    const events = await receive(second.port, '2', 2);
    expect(events.map((e) => [e.body, e.sequenceNumber])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
  });

  it('hands a thousand events over within the receiver credit, from a sequence number on', async () => {
    const { port } = await start();
    const producer = new EventHubProducerClient(connection(port), 'telemetry');
    try {
      for (let round = 0; round < 10; round++) {
        const batch = await producer.createBatch({ partitionId: '1' });
        for (let i = 0; i < 100; i++) batch.tryAdd({ body: round * 100 + i });
        await producer.sendBatch(batch);
      }
    } finally {
      await producer.close();
    }
    const all = await receive(port, '1', 1000);
    expect(all.map((e) => e.body)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const consumer = new EventHubConsumerClient('$Default', connection(port), 'telemetry');
    try {
      const after = await new Promise<ReceivedEventData[]>((resolve, reject) => {
        const sub = consumer.subscribe(
          '1',
          {
            processEvents: async (events) => {
              if (events.length === 0) return;
              await sub.close();
              resolve(events);
            },
            processError: (e) => Promise.resolve(reject(e)),
          },
          { startPosition: { sequenceNumber: 995 }, maxBatchSize: 10, maxWaitTimeInSeconds: 1 },
        );
      });
      expect(after.map((e) => e.sequenceNumber)).toEqual([996, 997, 998, 999]);
    } finally {
      await consumer.close();
    }
  });

  it('loses nothing it accepted when its process is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventhubs-kill-'));
    dirs.push(dir);
    const options = {
      hubs: [{ name: 'telemetry', partitions: 2 }],
      keyName: 'owner',
      key: KEY,
      dataDir: dir,
    };
    const first: EventHubsStandIn = await startEventHubsStandIn(options);
    const producer = new EventHubProducerClient(first.connectionString(), 'telemetry', {
      retryOptions: { maxRetries: 0, timeoutInMs: 3000 },
    });
    const accepted: number[] = [];
    let killed = false;
    const sending = (async () => {
      for (let i = 0; !killed; i++) {
        try {
          await producer.sendBatch([{ body: i }], { partitionId: '0' });
          accepted.push(i);
        } catch {
          return; // the broker is gone
        }
      }
    })();
    const end = Date.now() + 15_000;
    while (accepted.length < 100 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await first.kill();
    killed = true;
    await sending;
    await producer.close().catch(() => undefined);
    const second = await startEventHubsStandIn(options);
    try {
      const consumer = new EventHubConsumerClient(
        '$Default',
        second.connectionString(),
        'telemetry',
      );
      const props = await consumer.getPartitionProperties('0');
      await consumer.close();
      expect(props.lastEnqueuedSequenceNumber + 1).toBeGreaterThanOrEqual(accepted.length);
      const events = await receive(second.port, '0', accepted.length);
      expect(events.slice(0, accepted.length).map((e) => e.body)).toEqual(accepted);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
