import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { join } from 'node:path';
import { parseSettings } from '../../src/config/Settings';
import { DEFAULT_STORAGE_HOSTS } from '../../src/domain/jobs/StorageAllowList';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../../src/composition/createRegistryServices';
import { routes } from '../../src/http/routes';
import { close, listen } from '../../local/listen';
import { LocalFunctionHost } from '../../local/LocalFunctionHost';
import { silentLogger } from '../../src/ports/Logger';
import { systemClock } from '../../src/ports/Clock';
import { consoleLogger } from '../../src/adapters/logging/consoleLogger';
import type { LocalQueueTrigger } from '../../local/LocalQueueTrigger';
import { jobTrigger as startJobTrigger } from '../../local/jobTrigger';
import type { LocalChangeFeedTrigger } from '../../local/LocalChangeFeedTrigger';
import { relayTrigger } from '../../local/relayTrigger';
import { eventually } from './blobContainers';
import type { RegistryEnvironment } from '../../src/composition/createRegistryServices';
import { EventHubProducerClient, type EventData } from '@azure/event-hubs';
import {
  startEventHubsStandIn,
  type EventHubsStandIn,
} from '../../standins/eventhubs/startEventHubsStandIn';
import { eventHubTriggers, type EventHubTriggers } from '../../local/eventHubTriggers';
import { standInHubs } from '../../local/standInHubs';
import { EVENT_GRID_WEBHOOK_PATH, EventGridWebhook } from '../../local/EventGridWebhook';
import { TRIGGERS } from '../../src/triggers/triggerTable';

export interface TestRuntime {
  url: string;
  /** The local host's Event Grid webhook (without its key) and the key. */
  eventGridUrl: string;
  eventGridKey: string;
  runtime: RegistryRuntime;
  clock: { now(): Date; set(iso: string): void; advance(seconds: number): void };
  /** The lifecycle relay over the change feed: `abandon()` makes it "die". */
  relay: LocalChangeFeedTrigger;
  /** Its own Event Hubs stand-in, and the liveness ingest's and catalog's consumers on it. */
  eventHubs: EventHubsStandIn;
  consumers: EventHubTriggers;
  /** Sends events to the lifecycle/telemetry hub, as a producer (an IoT Hub route) would. */
  send(events: { partitionKey: string; data: EventData }[]): Promise<void>;
  /** The job queue's trigger, when started: `abandon()` makes the worker "die". */
  jobTrigger: LocalQueueTrigger | undefined;
  /** Resolves once every committed lifecycle notification is relayed and every event consumed. */
  settled(): Promise<void>;
  /** Outbox records not yet relayed. */
  pendingOutbox(): Promise<number>;
  /** The settings it runs with, to start a second runtime on the same stores. */
  settings: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A runtime built by the real composition root, in the test process, against the shared
 * stand-ins but with its own container and table, a controlled clock, and its own local host.
 */
export async function startTestRuntime(
  settings: Record<string, string> = {},
  options: {
    jobTrigger?: boolean;
    decorate?: RegistryEnvironment['decorate'];
    /** Where the controlled clock starts (default 2026-01-01T00:00:00Z). */
    clockStart?: string;
    /** The system's clock instead (the MQTT tests: the SDK's tokens and keep-alives are real-time). */
    systemClock?: boolean;
  } = {},
): Promise<TestRuntime> {
  const stack = inject('stack');
  const suffix = randomUUID().replace(/-/g, '').slice(0, 16);
  let now = new Date(options.clockStart ?? '2026-01-01T00:00:00.000Z');
  const clock = {
    now: () => now,
    set: (iso: string) => void (now = new Date(iso)),
    advance: (seconds: number) => void (now = new Date(now.getTime() + seconds * 1000)),
  };
  const logger = { ...silentLogger, error: (m: string, e?: unknown) => consoleLogger.error(m, e) };
  const effective: Record<string, string> = {
    COSMOS_ENDPOINT: stack.cosmosEndpoint,
    COSMOS_KEY: stack.cosmosKey,
    COSMOS_CONTAINER: `ids${suffix}`,
    STORAGE_CONNECTION_STRING: stack.storageConnectionString,
    LIVENESS_TABLE: `live${suffix}`,
    LIVENESS_PARTITIONS: '4',
    COSMOS_JOBS_CONTAINER: `jobs${suffix}`,
    COSMOS_LEASE_CONTAINER: `leases${suffix}`,
    CATALOG_TABLE: `cat${suffix}`,
    // Its own queue: the shared stack's worker must not take this runtime's messages.
    JOBS_QUEUE_NAME: `jobs${suffix}`,
    ...settings,
    // Besides whatever the test allows: the customers' storage that testContainer() makes.
    JOBS_ALLOWED_STORAGE_HOSTS: [
      settings.JOBS_ALLOWED_STORAGE_HOSTS ?? DEFAULT_STORAGE_HOSTS,
      stack.customerBlobHost,
    ].join(','),
  };
  const eventHubs = await startEventHubsStandIn({
    // The hubs npm start makes (with EVENTHUB_CONSUMER_GROUPS), on two partitions each, plus
    // groups for a test's own consumers (`tests`, `observer`), beside the service's.
    hubs: standInHubs(
      parseSettings({
        ...effective,
        EVENTHUB_CONSUMER_GROUPS: [effective.EVENTHUB_CONSUMER_GROUPS, 'tests', 'observer']
          .filter(Boolean)
          .join(','),
      }),
      2,
    ),
    keyName: 'RootManageSharedAccessKey',
    key: 'test-runtime-key',
    // A runtime started with another's settings finds its events (and checkpoints) again.
    dataDir: join(stack.dataDir, 'runtimes', effective.COSMOS_CONTAINER!, 'eventhubs'),
  });
  effective.EVENTHUB_CHECKPOINT_CONTAINER ??= `eh${suffix}`;
  // Always its own stand-in's (a previous runtime's, on the same data, may have moved port).
  effective.EVENTHUB_CONNECTION = eventHubs.connectionString();
  const parsed = parseSettings(effective);
  const runtime = await createRegistryServices({
    settings: parsed,
    policies: new Map(stack.policies.map((p) => [p.keyName, p])),
    logger,
    clock: options.systemClock ? systemClock : clock,
    ...(options.decorate ? { decorate: options.decorate } : {}),
  });
  const consumers = eventHubTriggers(runtime, parsed, logger, { maxWaitTimeInSeconds: 0.2 });
  await consumers.start();
  const producer = new EventHubProducerClient(parsed.EVENTHUB_CONNECTION!, 'telemetry');
  const relay = await relayTrigger(runtime, parsed, logger, 20);
  await relay.start();
  let jobTrigger: LocalQueueTrigger | undefined;
  if (options.jobTrigger) {
    jobTrigger = startJobTrigger(runtime, parsed, logger, 200);
    await jobTrigger.start();
  }
  const pendingOutbox = async () => {
    const { resources } = await runtime.identities.items
      .query<number>("SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'outbox'")
      .fetchAll();
    return resources.reduce((a, b) => a + b, 0);
  };
  const eventGrid = TRIGGERS.livenessEventGrid;
  const eventGridKey = 'test-eventgrid-key';
  const host = new LocalFunctionHost(
    routes(() => Promise.resolve(runtime.services)),
    logger,
    {
      eventGrid: new EventGridWebhook(
        new Map([[eventGrid.name, eventGrid.handler(() => Promise.resolve(runtime.services))]]),
        eventGridKey,
        logger,
      ),
    },
  );
  const server = createServer(host.listener);
  const port = await listen(server, 0, '127.0.0.1', 'test host');
  return {
    url: `http://localhost:${port}`,
    eventGridUrl: `http://localhost:${port}${EVENT_GRID_WEBHOOK_PATH}?functionName=${eventGrid.name}`,
    eventGridKey,
    runtime,
    clock,
    jobTrigger,
    relay,
    pendingOutbox,
    settled: async () => {
      await eventually(
        async () => ((await pendingOutbox()) === 0 ? true : undefined),
        'the lifecycle relay to catch up',
      );
      await eventually(
        async () => ((await consumers.caughtUp()) ? true : undefined),
        'the Event Hubs consumers to catch up',
      );
    },
    eventHubs,
    consumers,
    send: async (events) => {
      for (const e of events) {
        const batch = await producer.createBatch({ partitionKey: e.partitionKey });
        batch.tryAdd(e.data);
        await producer.sendBatch(batch);
      }
    },
    settings: effective,
    stop: async () => {
      await jobTrigger?.stop();
      await relay.stop();
      await close(server);
      await consumers.stop();
      await producer.close();
      await runtime.close();
      await eventHubs.stop();
    },
  };
}
