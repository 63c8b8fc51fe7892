import { BlobServiceClient } from '@azure/storage-blob';
import type { RegistryRuntime } from '../src/composition/createRegistryServices';
import type { Settings } from '../src/config/Settings';
import { TRIGGERS } from '../src/triggers/triggerTable';
import { bindingValue } from './bindingValue';
import type { Logger } from '../src/ports/Logger';
import { HOST_EVENT_HUBS } from './hostEventHubsOptions';
import { LocalEventHubTrigger } from './LocalEventHubTrigger';

export interface EventHubTriggers {
  liveness: LocalEventHubTrigger;
  catalog: LocalEventHubTrigger;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether both consumers have handled everything their hub holds. */
  caughtUp(): Promise<boolean>;
}

/** The Event Hubs-triggered functions, as `functions/` registers them, consuming as the host does. */
export function eventHubTriggers(
  runtime: RegistryRuntime,
  settings: Pick<
    Settings,
    | 'EVENTHUB_CONNECTION'
    | 'EVENTHUB_CHECKPOINT_CONTAINER'
    | 'LIVENESS_EVENTHUB_NAME'
    | 'CATALOG_CONSUMER_GROUP'
    | 'STORAGE_CONNECTION_STRING'
  >,
  logger: Logger,
  options: {
    maxBatchSize?: number;
    prefetchCount?: number;
    maxWaitTimeInSeconds?: number;
    ownershipRenewalMs?: number;
    ownershipExpiryMs?: number;
  } = {},
): EventHubTriggers {
  if (!settings.EVENTHUB_CONNECTION || !settings.STORAGE_CONNECTION_STRING)
    throw new Error('The Event Hubs triggers need EVENTHUB_CONNECTION and storage for checkpoints');
  const checkpoints = BlobServiceClient.fromConnectionString(
    settings.STORAGE_CONNECTION_STRING,
  ).getContainerClient(settings.EVENTHUB_CHECKPOINT_CONTAINER);
  const common = {
    connection: settings.EVENTHUB_CONNECTION,
    checkpoints,
    maxBatchSize: options.maxBatchSize ?? HOST_EVENT_HUBS.maxEventBatchSize,
    prefetchCount: options.prefetchCount ?? HOST_EVENT_HUBS.prefetchCount,
    maxWaitTimeInSeconds: options.maxWaitTimeInSeconds ?? 1,
    maxRetryMs: 30_000,
    ...(options.ownershipRenewalMs ? { ownershipRenewalMs: options.ownershipRenewalMs } : {}),
    ...(options.ownershipExpiryMs ? { ownershipExpiryMs: options.ownershipExpiryMs } : {}),
  };
  const services = () => Promise.resolve(runtime.services);
  const mount = (entry: typeof TRIGGERS.livenessIngest | typeof TRIGGERS.deviceCatalog) =>
    new LocalEventHubTrigger(entry.name, entry.handler(services), logger, {
      ...common,
      eventHubName: bindingValue(entry.options.eventHubName, settings),
      consumerGroup: bindingValue(entry.options.consumerGroup, settings),
    });
  const liveness = mount(TRIGGERS.livenessIngest);
  const catalog = mount(TRIGGERS.deviceCatalog);
  return {
    liveness,
    catalog,
    start: async () => {
      await liveness.start();
      await catalog.start();
    },
    stop: async () => {
      await Promise.all([liveness.stop(), catalog.stop()]);
    },
    caughtUp: async () => (await liveness.caughtUp()) && (await catalog.caughtUp()),
  };
}
