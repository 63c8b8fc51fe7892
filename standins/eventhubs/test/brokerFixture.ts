import {
  EventHubConsumerClient,
  type EventPosition,
  type ReceivedEventData,
  type SubscribeOptions,
} from '@azure/event-hubs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { HubSettings } from '../brokerSettings';
import { EventHubsBroker, type BrokerOptions } from '../EventHubsBroker';

export const KEY_NAME = 'RootManageSharedAccessKey';
export const KEY = Buffer.alloc(32, 7).toString('base64');
export const HUBS: HubSettings[] = [
  { name: 'telemetry', partitions: 4, consumerGroups: ['catalog'] },
  { name: 'alerts', partitions: 1 },
];

export function connectionString(
  port: number,
  credentials: { keyName?: string; key?: string } = {},
): string {
  return (
    `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${credentials.keyName ?? KEY_NAME};` +
    `SharedAccessKey=${credentials.key ?? KEY};UseDevelopmentEmulator=true`
  );
}

/** A directory removed when the test ends. */
export function temporaryDir(prefix = 'eventhubs-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A broker in this process on a free 127.0.0.1 port, closed when the test ends. */
export async function startBroker(
  options: Partial<Omit<BrokerOptions, 'log'>> = {},
): Promise<{ broker: EventHubsBroker; port: number; connectionString: string; dataDir: string }> {
  const dataDir = options.dataDir ?? temporaryDir();
  const broker = new EventHubsBroker({
    hubs: HUBS,
    keyName: KEY_NAME,
    key: KEY,
    log: () => undefined,
    ...options,
    dataDir,
  });
  onTestFinished(() => broker.close());
  const port = await broker.listen(0, '127.0.0.1');
  return { broker, port, connectionString: connectionString(port), dataDir };
}

/** Polls `condition` until it holds, failing with `what` after the deadline. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: () => string,
  deadlineMs = 15_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`Timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Receives `count` events of one partition through the SDK's consumer, from `startPosition`. */
export async function receive(
  connection: string,
  partitionId: string,
  count: number,
  options: SubscribeOptions & {
    startPosition: EventPosition;
    consumerGroup?: string;
    hub?: string;
  },
): Promise<ReceivedEventData[]> {
  const consumer = new EventHubConsumerClient(
    options.consumerGroup ?? '$Default',
    connection,
    options.hub ?? 'telemetry',
  );
  const got: ReceivedEventData[] = [];
  const errors: Error[] = [];
  const subscription = consumer.subscribe(
    partitionId,
    {
      processEvents: (events) => {
        got.push(...events);
        return Promise.resolve();
      },
      processError: (error) => {
        errors.push(error);
        return Promise.resolve();
      },
    },
    { maxBatchSize: 100, maxWaitTimeInSeconds: 1, ...options },
  );
  try {
    await until(
      () => got.length >= count || errors.length > 0,
      () => `${got.length} of ${count} events from partition ${partitionId}`,
    );
    if (errors.length > 0) throw errors[0]!;
    return got;
  } finally {
    await subscription.close();
    await consumer.close();
  }
}
