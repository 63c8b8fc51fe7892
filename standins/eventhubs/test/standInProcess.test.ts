import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startEventHubsStandIn, type EventHubsStandIn } from '../startEventHubsStandIn';
import { KEY, KEY_NAME, receive, temporaryDir, until } from './brokerFixture';

const HUBS = [{ name: 'telemetry', partitions: 2 }];

async function start(
  dataDir?: string,
  log?: (line: string) => void,
  port?: number,
): Promise<EventHubsStandIn> {
  const standIn = await startEventHubsStandIn({
    hubs: HUBS,
    keyName: KEY_NAME,
    key: KEY,
    ...(port ? { port } : {}),
    ...(dataDir ? { dataDir } : {}),
    ...(log ? { log } : {}),
  });
  onTestFinished(() => standIn.stop());
  return standIn;
}

interface Seen {
  sequenceNumber: number;
  offset: string;
  enqueued: number;
}

const seenOf = (events: ReceivedEventData[]) =>
  new Map(
    events.map((e) => [
      e.body as string,
      { sequenceNumber: e.sequenceNumber, offset: e.offset, enqueued: e.enqueuedTimeUtc.getTime() },
    ]),
  );

describe('the Event Hubs stand-in process', () => {
  it('keeps every event it acknowledged across a SIGKILL, with the same numbers', async () => {
    const dataDir = temporaryDir();
    const first = await start(dataDir);
    // Four producers racing, each on its own connection; a consumer watching live.
    const acknowledged = new Set<string>();
    let killed = false;
    const producers = [0, 1, 2, 3].map(async (p) => {
      const client = new EventHubProducerClient(first.connectionString(), 'telemetry', {
        retryOptions: { maxRetries: 0, timeoutInMs: 2000 },
      });
      try {
        for (let i = 0; !killed; i++) {
          const body = `p${p}-${i}`;
          try {
            await client.sendBatch([{ body }], { partitionId: String(p % 2) });
            acknowledged.add(body);
          } catch {
            return;
          }
        }
      } finally {
        await client.close().catch(() => undefined);
      }
    });
    const consumer = new EventHubConsumerClient('$Default', first.connectionString(), 'telemetry');
    const live: ReceivedEventData[] = [];
    const subscription = consumer.subscribe(
      {
        processEvents: (events) => {
          live.push(...events);
          return Promise.resolve();
        },
        processError: () => Promise.resolve(),
      },
      { startPosition: earliestEventPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 0.5 },
    );
    await until(
      () => acknowledged.size >= 400 && live.length >= 100,
      () => `${acknowledged.size} acknowledged, ${live.length} seen live`,
      30_000,
    );
    await first.kill();
    killed = true;
    await Promise.all(producers);
    await subscription.close().catch(() => undefined);
    await consumer.close().catch(() => undefined);

    const second = await start(dataDir);
    const client = new EventHubProducerClient(second.connectionString(), 'telemetry');
    onTestFinished(() => client.close());
    const restored: ReceivedEventData[] = [];
    const counts: number[] = [];
    for (const id of ['0', '1']) {
      const { lastEnqueuedSequenceNumber } = await client.getPartitionProperties(id);
      const events = await receive(second.connectionString(), id, lastEnqueuedSequenceNumber + 1, {
        startPosition: earliestEventPosition,
      });
      // Sequence numbers without gaps or repeats.
      expect(events.map((e) => e.sequenceNumber)).toEqual(events.map((_, i) => i));
      counts.push(events.length);
      restored.push(...events);
    }
    const back = seenOf(restored);
    expect([...acknowledged].filter((body) => !back.has(body))).toEqual([]);
    // What a receiver saw before the crash comes back as it was.
    for (const [body, seen] of seenOf(live)) expect(back.get(body)).toEqual<Seen>(seen);
    await client.sendBatch([{ body: 'after' }], { partitionId: '0' });
    expect((await client.getPartitionProperties('0')).lastEnqueuedSequenceNumber).toBe(counts[0]);
  }, 90_000);

  it('lets a producer that keeps sending through a restart retry, and loses none of it', async () => {
    const dataDir = temporaryDir();
    const first = await start(dataDir);
    const client = new EventHubProducerClient(first.connectionString(), 'telemetry', {
      retryOptions: {
        maxRetries: 20,
        retryDelayInMs: 100,
        maxRetryDelayInMs: 500,
        timeoutInMs: 3000,
      },
    });
    onTestFinished(() => client.close());
    const sent: string[] = [];
    // One sender goes on while the stand-in is killed and started again on the same port.
    const sending = (async () => {
      for (let i = 0; i < 300; i++) {
        const body = `r-${i}`;
        await client.sendBatch([{ body }], { partitionId: '0' });
        sent.push(body);
      }
    })();
    await until(
      () => sent.length >= 100,
      () => `${sent.length} sent`,
      30_000,
    );
    await first.kill();
    const restarted = await start(dataDir, undefined, first.port);
    // A send whose answer the crash swallowed is retried after the operation timeout.
    await sending;
    expect(sent).toHaveLength(300);
    // Everything stored, a retried send perhaps twice.
    const { lastEnqueuedSequenceNumber } = await client.getPartitionProperties('0');
    const events = await receive(
      restarted.connectionString(),
      '0',
      lastEnqueuedSequenceNumber + 1,
      {
        startPosition: earliestEventPosition,
      },
    );
    const bodies = new Set(events.map((e) => e.body as string));
    expect(sent.filter((b) => !bodies.has(b))).toEqual([]);
  }, 60_000);

  it('starts after a crash left half a record, without it, and goes on from there', async () => {
    const dataDir = temporaryDir();
    const first = await start(dataDir);
    const client = new EventHubProducerClient(first.connectionString(), 'telemetry');
    await client.sendBatch([{ body: 'a' }, { body: 'b' }], { partitionId: '1' });
    await client.close();
    await first.kill();
    const dir = join(dataDir, 'telemetry', '1');
    const last = readdirSync(dir)
      .filter((n) => n.endsWith('.seg'))
      .sort()
      .at(-1)!;
    appendFileSync(join(dir, last), Buffer.from([0xff, 0x00, 0x00, 0x00, 0x12, 0x34]));
    const lines: string[] = [];
    const second = await start(dataDir, (line) => lines.push(line));
    const again = new EventHubProducerClient(second.connectionString(), 'telemetry');
    onTestFinished(() => again.close());
    await again.sendBatch([{ body: 'c' }], { partitionId: '1' });
    const events = await receive(second.connectionString(), '1', 3, {
      startPosition: earliestEventPosition,
    });
    expect(events.map((e) => [e.body, e.sequenceNumber])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    expect(lines.some((l) => /torn tail of 6 bytes/.test(l))).toBe(true);
  });

  it('keeps its data in a temporary directory of its own when given none, and removes it', async () => {
    const standIn = await start();
    const client = new EventHubProducerClient(standIn.connectionString('telemetry'));
    await client.sendBatch([{ body: 'x' }]);
    await client.close();
    expect(readdirSync(join(standIn.dataDir, 'telemetry'))).toEqual(['0', '1']);
    await standIn.stop();
    expect(existsSync(standIn.dataDir)).toBe(false);
  });
});
