import type { InvocationContext, Timer } from '@azure/functions';
import type { ServicesProvider } from '../http/RegistryServices';
import { catalogEventHubHandler } from './catalogHandler';
import { jobQueueHandler } from './jobQueueHandler';
import { lifecycleRelayHandler } from './lifecycleRelayHandler';
import { livenessEventHubHandler, livenessTimerHandler } from './livenessHandlers';
import { livenessEventGridHandler } from './eventGridHandler';

/**
 * Store or hub failures are thrown; the host delivers the batch again (handlers are
 * idempotent), backing off up to a minute, forever.
 */
export const UNTIL_DONE = {
  strategy: 'exponentialBackoff',
  maxRetryCount: -1,
  minimumInterval: { seconds: 1 },
  maximumInterval: { minutes: 1 },
} as const;

type Handler<T> = (input: T, context: InvocationContext) => Promise<void>;

/**
 * Binding options as the Functions runtime reads them: `connection` names a setting, and a
 * value between `%` signs is the setting of that name.
 */
export interface EventHubTriggerEntry {
  kind: 'eventHub';
  name: string;
  options: {
    connection: string;
    eventHubName: string;
    consumerGroup: string;
    cardinality: 'many';
    retry: typeof UNTIL_DONE;
  };
  handler: (services: ServicesProvider) => Handler<unknown>;
}

export interface TimerTriggerEntry {
  kind: 'timer';
  name: string;
  options: { schedule: string };
  handler: (services: ServicesProvider) => Handler<Timer>;
}

export interface StorageQueueTriggerEntry {
  kind: 'storageQueue';
  name: string;
  options: { queueName: string; connection: string };
  handler: (services: ServicesProvider) => Handler<unknown>;
}

export interface CosmosDBTriggerEntry {
  kind: 'cosmosDB';
  name: string;
  options: {
    connection: string;
    databaseName: string;
    containerName: string;
    leaseContainerName: string;
    createLeaseContainerIfNotExists: boolean;
    retry: typeof UNTIL_DONE;
  };
  handler: (services: ServicesProvider) => Handler<unknown[]>;
}

/** Event Grid: the runtime's webhook (handshakes, system key) invokes it once per event. */
export interface EventGridTriggerEntry {
  kind: 'eventGrid';
  name: string;
  options: Record<string, never>;
  handler: (services: ServicesProvider) => Handler<unknown>;
}

export type TriggerEntry =
  | EventHubTriggerEntry
  | TimerTriggerEntry
  | StorageQueueTriggerEntry
  | CosmosDBTriggerEntry
  | EventGridTriggerEntry;

const liveness = (services: ServicesProvider) => async () => (await services()).liveness;

/**
 * Every non-HTTP function, declared once: `functions/index.ts` registers each entry with the
 * Functions runtime and the local host mounts the same entries on its own triggers.
 */
export const TRIGGERS = {
  /** Device messages and the hub's notifications into the last-seen map. */
  livenessIngest: {
    kind: 'eventHub',
    name: 'livenessIngest',
    options: {
      connection: 'EVENTHUB_CONNECTION',
      eventHubName: '%LIVENESS_EVENTHUB_NAME%',
      consumerGroup: '$Default',
      cardinality: 'many',
      retry: UNTIL_DONE,
    },
    handler: (services) => livenessEventHubHandler(liveness(services)),
  },
  /** The overdue sweep: devices past their deadline turn silent, one alert each. */
  livenessSweep: {
    kind: 'timer',
    name: 'livenessSweep',
    options: { schedule: '%LIVENESS_SWEEP_SCHEDULE%' },
    handler: (services) => livenessTimerHandler(liveness(services)),
  },
  /** IoT Hub's Event Grid events (either schema) into the same ingest, with the same rules. */
  livenessEventGrid: {
    kind: 'eventGrid',
    name: 'livenessEventGrid',
    options: {},
    handler: (services) => livenessEventGridHandler(liveness(services)),
  },
  /** One slice of an import or export job per message. */
  registryJobs: {
    kind: 'storageQueue',
    name: 'registryJobs',
    options: { queueName: '%JOBS_QUEUE_NAME%', connection: 'STORAGE_CONNECTION_STRING' },
    handler: (services) => jobQueueHandler(services),
  },
  /**
   * The outbox relay on the identity container's change feed. A failed publish is thrown and
   * the batch retried, so every committed notification reaches Event Hubs at least once.
   */
  lifecycleRelay: {
    kind: 'cosmosDB',
    name: 'lifecycleRelay',
    options: {
      connection: 'COSMOS_CONNECTION',
      databaseName: '%COSMOS_DATABASE%',
      containerName: '%COSMOS_CONTAINER%',
      leaseContainerName: '%COSMOS_LEASE_CONTAINER%',
      createLeaseContainerIfNotExists: true,
      retry: UNTIL_DONE,
    },
    handler: (services) => lifecycleRelayHandler(services),
  },
  /** The reference lifecycle consumer (a device catalog), on a consumer group of its own. */
  deviceCatalog: {
    kind: 'eventHub',
    name: 'deviceCatalog',
    options: {
      connection: 'EVENTHUB_CONNECTION',
      eventHubName: '%LIVENESS_EVENTHUB_NAME%',
      consumerGroup: '%CATALOG_CONSUMER_GROUP%',
      cardinality: 'many',
      retry: UNTIL_DONE,
    },
    handler: (services) => catalogEventHubHandler(services),
  },
} as const satisfies Record<string, TriggerEntry>;

export const triggerTable: readonly TriggerEntry[] = Object.values(TRIGGERS);
