import {
  EventHubBufferedProducerClient,
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  latestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { createHmac } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import rhea from 'rhea';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startEventHubsStandIn } from '../startEventHubsStandIn';
import {
  HUBS,
  KEY,
  KEY_NAME,
  connectionString,
  receive,
  startBroker,
  until,
} from './brokerFixture';

function producer(connection: string, hub = 'telemetry'): EventHubProducerClient {
  const client = new EventHubProducerClient(connection, hub, {
    retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
  });
  onTestFinished(() => client.close());
  return client;
}

/** A SAS token as the SDK makes one (key name and key as given). */
function sasToken(resource: string, expiry: number, keyName = KEY_NAME, key = KEY): string {
  const sr = encodeURIComponent(resource);
  const sig = createHmac('sha256', key).update(`${sr}\n${expiry}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}&skn=${keyName}`;
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

describe('the Event Hubs stand-in, through the official client', () => {
  it('answers hub and partition properties', async () => {
    const { connectionString } = await startBroker();
    const client = producer(connectionString);
    const hub = await client.getEventHubProperties();
    expect(hub.name).toBe('telemetry');
    expect(hub.partitionIds).toEqual(['0', '1', '2', '3']);
    expect(hub.createdOn).toBeInstanceOf(Date);
    expect(await client.getPartitionProperties('2')).toMatchObject({
      eventHubName: 'telemetry',
      partitionId: '2',
      beginningSequenceNumber: 0,
      lastEnqueuedSequenceNumber: -1,
      lastEnqueuedOffset: '-1',
      isEmpty: true,
    });
    await client.sendBatch([{ body: 'a' }, { body: 'b' }], { partitionId: '2' });
    const after = await client.getPartitionProperties('2');
    expect(after).toMatchObject({
      beginningSequenceNumber: 0,
      lastEnqueuedSequenceNumber: 1,
      isEmpty: false,
    });
    const events = await receive(connectionString, '2', 2, {
      startPosition: earliestEventPosition,
    });
    expect(events.map((e) => [e.body, e.sequenceNumber])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    expect(after.lastEnqueuedOffset).toBe(events[1]!.offset);
    expect(after.lastEnqueuedOnUtc).toEqual(events[1]!.enqueuedTimeUtc);
  });

  it('says an unknown hub or partition does not exist, as the service does', async () => {
    const { connectionString } = await startBroker();
    const missing = await errorOf(producer(connectionString, 'nohub').getEventHubProperties());
    expect(missing.code).toBe('MessagingEntityNotFoundError');
    const send = await errorOf(producer(connectionString, 'nohub').sendBatch([{ body: 1 }]));
    expect(send.code).toBe('MessagingEntityNotFoundError');
    const partition = await errorOf(producer(connectionString).getPartitionProperties('4'));
    expect(partition.code).toBe('ArgumentOutOfRangeError');
    const group = await errorOf(
      receive(connectionString, '0', 1, {
        startPosition: earliestEventPosition,
        consumerGroup: 'nobody',
      }),
    );
    expect(group.code).toBe('MessagingEntityNotFoundError');
  });

  it('starts receivers at every kind of position the SDK asks for', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { connectionString } = await startBroker({ now: () => clock });
    const client = producer(connectionString);
    for (let round = 0; round < 5; round++) {
      clock += 1000;
      await client.sendBatch([{ body: round * 2 }, { body: round * 2 + 1 }], { partitionId: '1' });
    }
    const all = await receive(connectionString, '1', 10, { startPosition: earliestEventPosition });
    expect(all.map((e) => e.body)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all.map((e) => e.sequenceNumber)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const offsets = all.map((e) => Number(e.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(10);
    const bodiesFrom = async (
      startPosition: Parameters<typeof receive>[3]['startPosition'],
      n: number,
    ) => (await receive(connectionString, '1', n, { startPosition })).map((e) => e.body);
    expect(await bodiesFrom({ sequenceNumber: 6 }, 3)).toEqual([7, 8, 9]);
    expect(await bodiesFrom({ sequenceNumber: 6, isInclusive: true }, 4)).toEqual([6, 7, 8, 9]);
    expect(await bodiesFrom({ offset: all[3]!.offset }, 6)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(await bodiesFrom({ offset: all[3]!.offset, isInclusive: true }, 7)).toEqual([
      3, 4, 5, 6, 7, 8, 9,
    ]);
    // Each round was enqueued a second after the last: after round 2's time comes round 3.
    expect(await bodiesFrom({ enqueuedOn: all[5]!.enqueuedTimeUtc }, 4)).toEqual([6, 7, 8, 9]);

    // Latest: only what is sent once the receiver is attached (an empty batch proves it is).
    const consumer = new EventHubConsumerClient('$Default', connectionString, 'telemetry');
    onTestFinished(() => consumer.close());
    const got: ReceivedEventData[] = [];
    let attached = false;
    const subscription = consumer.subscribe(
      '1',
      {
        processEvents: (events) => {
          if (events.length === 0) attached = true;
          got.push(...events);
          return Promise.resolve();
        },
        processError: () => Promise.resolve(),
      },
      { startPosition: latestEventPosition, maxWaitTimeInSeconds: 0.2 },
    );
    await until(
      () => attached,
      () => 'the latest-position receiver did not attach',
    );
    await client.sendBatch([{ body: 'new' }], { partitionId: '1' });
    await until(
      () => got.length > 0,
      () => 'no new event',
    );
    await subscription.close();
    expect(got.map((e) => [e.body, e.sequenceNumber])).toEqual([['new', 10]]);
  });

  it('unpacks a batch into separate events, in order, on one partition', async () => {
    const { connectionString } = await startBroker();
    const client = producer(connectionString);
    const batch = await client.createBatch({ partitionId: '3' });
    for (let i = 0; i < 500; i++)
      expect(batch.tryAdd({ body: { i }, messageId: `m${i}` })).toBe(true);
    await client.sendBatch(batch);
    await client.sendBatch([{ body: 'after' }], { partitionId: '3' });
    const events = await receive(connectionString, '3', 501, {
      startPosition: earliestEventPosition,
    });
    expect(events.map((e) => e.body)).toEqual([
      ...Array.from({ length: 500 }, (_, i) => ({ i })),
      'after',
    ]);
    expect(events.map((e) => e.sequenceNumber)).toEqual(Array.from({ length: 501 }, (_, i) => i));
    expect(events[499]!.messageId).toBe('m499');
    expect((await client.getPartitionProperties('0')).isEmpty).toBe(true);
  });

  it('lands one partition key always on one partition, where the service would', async () => {
    const { connectionString } = await startBroker();
    const client = producer(connectionString);
    const keys = Array.from({ length: 12 }, (_, i) => `device-${i}`);
    for (let round = 0; round < 3; round++)
      for (const key of keys)
        await client.sendBatch([{ body: { key, round } }], { partitionKey: key });
    const byPartition = await Promise.all(
      ['0', '1', '2', '3'].map(async (id) => {
        const { lastEnqueuedSequenceNumber } = await client.getPartitionProperties(id);
        const count = lastEnqueuedSequenceNumber + 1;
        if (count === 0) return [];
        return (
          await receive(connectionString, id, count, { startPosition: earliestEventPosition })
        ).map((e) => ({
          partition: id,
          key: e.partitionKey,
          round: (e.body as { round: number }).round,
        }));
      }),
    );
    const landed = byPartition.flat();
    expect(landed).toHaveLength(36);
    const partitionsOf = new Map<string, Set<string>>();
    for (const e of landed) {
      partitionsOf.set(e.key!, (partitionsOf.get(e.key!) ?? new Set()).add(e.partition));
    }
    expect([...partitionsOf.values()].every((s) => s.size === 1)).toBe(true);
    expect(byPartition.filter((p) => p.length > 0).length).toBeGreaterThan(1);
    // Rounds of one key arrive in order.
    for (const p of byPartition)
      for (const key of keys) {
        const rounds = p.filter((e) => e.key === key).map((e) => e.round);
        expect(rounds).toEqual([...rounds].sort());
      }

    // The buffered producer maps keys to partitions on the client, as the service does.
    const sentTo = new Map<string, string>();
    const buffered = new EventHubBufferedProducerClient(connectionString, 'telemetry', {
      onSendEventsErrorHandler: () => undefined,
      onSendEventsSuccessHandler: (ctx) => {
        for (const e of ctx.events)
          sentTo.set((e as { body: { key: string } }).body.key, ctx.partitionId);
      },
    });
    onTestFinished(() => buffered.close({ flush: false }));
    for (const key of keys) await buffered.enqueueEvent({ body: { key } }, { partitionKey: key });
    await buffered.flush();
    for (const key of keys) expect(partitionsOf.get(key)).toEqual(new Set([sentTo.get(key)]));
  });

  it('spreads events without a key or partition over the partitions', async () => {
    const { connectionString } = await startBroker();
    const client = producer(connectionString);
    for (let i = 0; i < 8; i++) await client.sendBatch([{ body: i }]);
    const counts = await Promise.all(
      ['0', '1', '2', '3'].map(async (id) => {
        const p = await client.getPartitionProperties(id);
        return p.lastEnqueuedSequenceNumber + 1;
      }),
    );
    expect(counts).toEqual([2, 2, 2, 2]);
  });

  it('hands back the body, properties and annotations as they were sent', async () => {
    const { connectionString } = await startBroker();
    const client = producer(connectionString);
    const when = new Date('2026-03-04T05:06:07.089Z');
    await client.sendBatch(
      [
        {
          body: { deviceId: 'd1', nested: [1, 'two'] },
          properties: { messageType: 'heartbeat', intervalSeconds: 30, ok: true, at: when },
          messageId: 'message-1',
          correlationId: 'correlation-1',
          contentType: 'application/json',
        },
        { body: 'plain text' },
        { body: Buffer.from([0, 1, 2, 255]) },
        { body: 42 },
        { body: null },
      ],
      { partitionKey: 'd1' },
    );
    // An AMQP message as such: the SDK sends it without the partition key.
    await client.sendBatch([
      {
        body: { kept: 'as an AMQP value' },
        bodyType: 'value',
        applicationProperties: { 'iothub-app-x': 'y' },
        messageAnnotations: {
          'iothub-connection-device-id': 'd2',
          'iothub-enqueuedtime': when,
        },
        properties: { messageId: 'm-2', contentEncoding: 'utf-8', subject: 'subject-2' },
      },
    ]);
    const { partitionIds } = await client.getEventHubProperties();
    const events: ReceivedEventData[] = [];
    for (const id of partitionIds) {
      const p = await client.getPartitionProperties(id);
      if (!p.isEmpty)
        events.push(
          ...(await receive(connectionString, id, p.lastEnqueuedSequenceNumber + 1, {
            startPosition: earliestEventPosition,
          })),
        );
    }
    const first = events.find((e) => e.messageId === 'message-1')!;
    expect(first).toMatchObject({
      body: { deviceId: 'd1', nested: [1, 'two'] },
      properties: { messageType: 'heartbeat', intervalSeconds: 30, ok: true },
      correlationId: 'correlation-1',
      contentType: 'application/json',
      partitionKey: 'd1',
    });
    // The SDK hands back dates of application properties as numbers.
    expect(first.properties!.at).toBe(when.getTime());
    expect(first.enqueuedTimeUtc).toBeInstanceOf(Date);
    expect(first.getRawAmqpMessage().bodyType).toBe('data');
    const ofD1 = events.filter((e) => e.partitionKey === 'd1');
    expect(ofD1.map((e) => e.body)).toEqual([
      { deviceId: 'd1', nested: [1, 'two'] },
      'plain text',
      Buffer.from([0, 1, 2, 255]),
      42,
      null,
    ]);
    const valued = events.find((e) => e.messageId === 'm-2')!;
    expect(valued.body).toEqual({ kept: 'as an AMQP value' });
    expect(valued.getRawAmqpMessage().bodyType).toBe('value');
    expect(valued.properties).toEqual({ 'iothub-app-x': 'y' });
    expect(valued.messageId).toBe('m-2');
    expect(valued.systemProperties).toMatchObject({
      'iothub-connection-device-id': 'd2',
      'iothub-enqueuedtime': when.getTime(),
      contentEncoding: 'utf-8',
      subject: 'subject-2',
    });
  });

  it('sends no more than the link credit allows, and all of a long partition in order', async () => {
    const { connectionString, port } = await startBroker();
    const client = producer(connectionString);
    for (let round = 0; round < 20; round++) {
      const batch = await client.createBatch({ partitionId: '0' });
      for (let i = 0; i < 250; i++) batch.tryAdd({ body: round * 250 + i });
      await client.sendBatch(batch);
    }
    const all = await receive(connectionString, '0', 5000, {
      startPosition: earliestEventPosition,
      maxBatchSize: 50,
      prefetchCount: 100,
    });
    expect(all.map((e) => e.body)).toEqual(Array.from({ length: 5000 }, (_, i) => i));

    // A bare AMQP receiver: exactly as many transfers as credits, however many events wait.
    const connection = rhea.create_container().connect({
      host: '127.0.0.1',
      port,
      username: KEY_NAME,
    });
    onTestFinished(() => connection.close());
    const cbsSender = connection.open_sender({ target: { address: '$cbs' } });
    const replies: rhea.Message[] = [];
    connection
      .open_receiver({
        source: { address: '$cbs' },
        target: { address: 'cbs-replies' },
      })
      .on('message', (c: rhea.EventContext) => replies.push(c.message!));
    const audience = `sb://127.0.0.1:${port}/telemetry`;
    const putToken = async () => {
      const before = replies.length;
      await until(
        () => cbsSender.sendable(),
        () => 'no credit on $cbs',
      );
      cbsSender.send({
        reply_to: 'cbs-replies',
        message_id: `put-${before}`,
        application_properties: {
          operation: 'put-token',
          name: audience,
          type: 'servicebus.windows.net:sastoken',
        },
        body: sasToken(audience, inAnHour()),
      });
      await until(
        () => replies.length > before,
        () => 'no CBS reply',
      );
      return replies.at(-1)!;
    };
    expect((await putToken()).application_properties?.['status-code']).toBe(202);
    const received: number[] = [];
    const receiver = connection.open_receiver({
      source: {
        address: 'telemetry/ConsumerGroups/$Default/Partitions/0',
        filter: {
          'apache.org:selector-filter:string': rhea.types.wrap_described(
            "amqp.annotation.x-opt-offset > '-1'",
            0x468c00000004,
          ),
        },
      },
      credit_window: 0,
      autoaccept: false,
    });
    receiver.on('message', (c: rhea.EventContext) =>
      received.push(c.message!.message_annotations!['x-opt-sequence-number'] as number),
    );
    receiver.add_credit(10);
    await until(
      () => received.length >= 10,
      () => `${received.length} of 10 credited events`,
    );
    // A CBS round trip on the same connection: any transfer beyond the credit would be here by now.
    await putToken();
    expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    receiver.add_credit(5);
    await until(
      () => received.length >= 15,
      () => `${received.length} of 15 credited events`,
    );
    await putToken();
    expect(received).toHaveLength(15);
  });

  it("streams more events at once than the session's buffer holds, within the credit", async () => {
    const standIn = await startEventHubsStandIn({ hubs: HUBS, keyName: KEY_NAME, key: KEY });
    onTestFinished(() => standIn.stop());
    const cs = standIn.connectionString();
    const producer = new EventHubProducerClient(cs, 'telemetry');
    onTestFinished(() => producer.close());
    // The SDK grants 3 × maxBatchSize credit (3,000), more than rhea's 2,048 outgoing slots.
    const consumer = new EventHubConsumerClient('$Default', cs, 'telemetry');
    const got = new Map<string, number>();
    const subscription = consumer.subscribe(
      {
        processEvents: (events, context) => {
          got.set(context.partitionId, (got.get(context.partitionId) ?? 0) + events.length);
          return Promise.resolve();
        },
        processError: () => Promise.resolve(),
      },
      { startPosition: earliestEventPosition, maxBatchSize: 1000, maxWaitTimeInSeconds: 0.2 },
    );
    try {
      // Every receiver attached and waiting with its credit (an empty batch said so) ...
      await until(
        () => got.size === 4,
        () => `${got.size} receivers`,
      );
      // ... when 2,500 events land on each partition at once.
      const batches = await Promise.all(
        [0, 1, 2, 3].map(async (p) => {
          const batch = await producer.createBatch({ partitionId: String(p) });
          for (let i = 0; i < 2500; i++) batch.tryAdd({ body: i });
          return batch;
        }),
      );
      await Promise.all(batches.map((b) => producer.sendBatch(b)));
      await until(
        () => [...got.values()].reduce((a, b) => a + b, 0) >= 10_000,
        () => JSON.stringify([...got]),
        30_000,
      );
    } finally {
      await subscription.close();
      await consumer.close();
    }
    expect([...got.entries()].sort()).toEqual([
      ['0', 2500],
      ['1', 2500],
      ['2', 2500],
      ['3', 2500],
    ]);
  });

  it('gives a partition to the receiver with the highest owner level', async () => {
    const { connectionString } = await startBroker();
    await producer(connectionString).sendBatch([{ body: 'x' }], { partitionId: '0' });
    const consumers: EventHubConsumerClient[] = [];
    const subscribe = (ownerLevel: number | undefined) => {
      const consumer = new EventHubConsumerClient('$Default', connectionString, 'telemetry');
      consumers.push(consumer);
      onTestFinished(() => consumer.close());
      const state = { events: 0, errors: [] as (Error & { code?: string })[] };
      consumer.subscribe(
        '0',
        {
          processEvents: (events) => {
            state.events += events.length;
            return Promise.resolve();
          },
          processError: (error) => {
            state.errors.push(error);
            return Promise.resolve();
          },
        },
        {
          startPosition: earliestEventPosition,
          maxWaitTimeInSeconds: 0.2,
          ...(ownerLevel === undefined ? {} : { ownerLevel }),
        },
      );
      return state;
    };
    const disconnected = (s: { errors: { code?: string }[] }) =>
      s.errors.some((e) => e.code === 'ReceiverDisconnectedError');
    const first = subscribe(1);
    await until(
      () => first.events === 1,
      () => 'the first receiver got nothing',
    );
    const second = subscribe(2);
    await until(
      () => second.events === 1,
      () => 'the higher owner level got nothing',
    );
    await until(
      () => disconnected(first),
      () => 'the lower owner level was not disconnected',
    );
    const lower = subscribe(1);
    await until(
      () => disconnected(lower),
      () => 'a lower owner level was let in',
    );
    const none = subscribe(undefined);
    await until(
      () => disconnected(none),
      () => 'a receiver without owner level was let in',
    );
    expect(second.errors).toEqual([]);
    const same = subscribe(2);
    await until(
      () => same.events === 1,
      () => 'an equal owner level did not take over',
    );
    await until(
      () => disconnected(second),
      () => 'the equal owner level did not take over',
    );
  });

  it('drops events past the retention, a segment at a time (injected clock)', async () => {
    const hour = 3_600_000;
    let clock = Date.now() - 3 * hour;
    const { connectionString, broker, dataDir } = await startBroker({
      now: () => clock,
      retentionHours: 1,
      segmentBytes: 512,
    });
    const client = producer(connectionString);
    for (let i = 0; i < 20; i++)
      await client.sendBatch([{ body: `old-${i}` }], { partitionId: '0' });
    const dir = join(dataDir, 'telemetry', '0');
    const segmentFiles = () => readdirSync(dir).filter((n) => n.endsWith('.seg'));
    const before = segmentFiles().length;
    expect(before).toBeGreaterThan(2);
    clock = Date.now();
    broker.enforceRetention();
    for (let i = 0; i < 3; i++)
      await client.sendBatch([{ body: `new-${i}` }], { partitionId: '0' });
    expect(segmentFiles().length).toBeLessThan(before);
    expect(await client.getPartitionProperties('0')).toMatchObject({
      beginningSequenceNumber: 20,
      lastEnqueuedSequenceNumber: 22,
      isEmpty: false,
    });
    const events = await receive(connectionString, '0', 3, {
      startPosition: earliestEventPosition,
    });
    expect(events.map((e) => [e.body, e.sequenceNumber])).toEqual([
      ['new-0', 20],
      ['new-1', 21],
      ['new-2', 22],
    ]);
  });

  describe('refuses at CBS', () => {
    it('a token signed with another key, or with an unknown key name', async () => {
      const { port } = await startBroker();
      const wrongKey = Buffer.alloc(32, 9).toString('base64');
      const bad = await errorOf(
        producer(connectionString(port, { key: wrongKey })).sendBatch([{ body: 1 }]),
      );
      expect(bad.code).toBe('UnauthorizedError');
      expect(bad.message).toMatch(/invalid signature/);
      const unknown = await errorOf(
        producer(connectionString(port, { keyName: 'nobody' })).getEventHubProperties(),
      );
      expect(unknown.code).toBe('UnauthorizedError');
      expect(unknown.message).toMatch(/unknown shared access key name 'nobody'/);
    });

    it('an expired token, and one whose resource does not cover the hub', async () => {
      const { port } = await startBroker();
      const withSignature = (token: string) =>
        `Endpoint=sb://127.0.0.1:${port};SharedAccessSignature=${token};UseDevelopmentEmulator=true`;
      const namespace = `sb://127.0.0.1:${port}/`;
      const expired = await errorOf(
        producer(withSignature(sasToken(namespace, Math.floor(Date.now() / 1000) - 1))).sendBatch([
          { body: 1 },
        ]),
      );
      expect(expired.code).toBe('UnauthorizedError');
      expect(expired.message).toMatch(/expired/);
      const otherHub = sasToken(`sb://127.0.0.1:${port}/alerts`, inAnHour());
      const wrongHub = await errorOf(producer(withSignature(otherHub)).sendBatch([{ body: 1 }]));
      expect(wrongHub.code).toBe('UnauthorizedError');
      expect(wrongHub.message).toMatch(/not for/);
      const prefix = sasToken(`sb://127.0.0.1:${port}/tele`, inAnHour());
      expect((await errorOf(producer(withSignature(prefix)).sendBatch([{ body: 1 }]))).code).toBe(
        'UnauthorizedError',
      );
      // A token for the namespace covers every hub in it; one for the hub covers the hub.
      await producer(withSignature(sasToken(namespace, inAnHour()))).sendBatch([{ body: 1 }]);
      await producer(withSignature(otherHub), 'alerts').sendBatch([{ body: 2 }]);
    });

    it('links to an entity no token was put for on the connection', async () => {
      const { port } = await startBroker();
      const connection = rhea.create_container().connect({
        host: '127.0.0.1',
        port,
        username: KEY_NAME,
      });
      onTestFinished(() => connection.close());
      const errors: rhea.AmqpError[] = [];
      const record = (c: rhea.EventContext) => {
        const error = (c.sender ?? c.receiver)?.error as rhea.AmqpError | undefined;
        if (error) errors.push(error);
      };
      connection.open_sender({ target: { address: 'telemetry' } }).on('sender_error', record);
      connection
        .open_receiver({ source: { address: 'telemetry/ConsumerGroups/$Default/Partitions/0' } })
        .on('receiver_error', record);
      await until(
        () => errors.length === 2,
        () => `${errors.length} of 2 links refused`,
      );
      expect(errors.map((e) => e.condition)).toEqual([
        'amqp:unauthorized-access',
        'amqp:unauthorized-access',
      ]);
    });
  });
});
