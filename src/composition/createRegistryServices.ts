import { CosmosClient, type Container } from '@azure/cosmos';
import { TableClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';
import { SasJobBlobs } from '../adapters/blob/SasJobBlobs';
import { AllowListDestinationGuard } from '../adapters/blob/AllowListDestinationGuard';
import {
  allowListEntry,
  ownBlobEndpoint,
  type BlobEndpoint,
} from '../adapters/blob/ownBlobEndpoint';
import { ownStorageAccount } from '../domain/jobs/OwnStorageAccount';
import { resolveConnections } from './resolveConnections';
import {
  cosmosClient,
  consumerClient,
  credentialFor,
  producerClient,
  storageClients,
} from './clientsFor';
import { parseAllowList } from '../domain/jobs/StorageAllowList';
import { CosmosJobStore } from '../adapters/cosmos/CosmosJobStore';
import { StorageJobQueue } from '../adapters/queue/StorageJobQueue';
import { ConfigurationRegistry } from '../configurations/ConfigurationRegistry';
import { ConfigurationContentApplier } from '../configurations/ConfigurationContentApplier';
import { CosmosConfigurationStore } from '../adapters/cosmos/CosmosConfigurationStore';
import { JobWorker } from '../application/jobs/JobWorker';
import { RegistryJobs } from '../application/jobs/RegistryJobs';
import { parseImportLine } from '../http/parseImportLine';
import type { JobBlobs } from '../ports/JobBlobs';
import type { JobStore } from '../ports/JobStore';
import { createHash } from 'node:crypto';
import { ContinuationSeal } from '../adapters/cosmos/ContinuationSeal';
import { CosmosLifecycleOutbox } from '../adapters/cosmos/CosmosLifecycleOutbox';
import { CosmosRegistryStore } from '../adapters/cosmos/CosmosRegistryStore';
import { OutboxCommits } from '../adapters/cosmos/OutboxCommits';
import { LifecycleRelay } from '../application/lifecycle/LifecycleRelay';
import { CatalogSync } from '../application/catalog/CatalogSync';
import { TableDeviceCatalog } from '../adapters/tables/TableDeviceCatalog';
import { ensureCosmosContainer } from '../adapters/cosmos/ensureCosmosContainer';
import { EventHubAlertPublisher } from '../adapters/eventhubs/EventHubAlertPublisher';
import { EventHubLifecyclePublisher } from '../adapters/eventhubs/EventHubLifecyclePublisher';
import { EventHubPipelineProbe } from '../adapters/eventhubs/EventHubPipelineProbe';
import { EventHubPublisher } from '../adapters/eventhubs/EventHubPublisher';
import { LivenessKeys } from '../adapters/tables/livenessKeys';
import { TableLivenessStore } from '../adapters/tables/TableLivenessStore';
import { BulkRegistry } from '../application/BulkRegistry';
import { DeviceAuthenticator } from '../application/device/DeviceAuthenticator';
import { DeviceCredentials } from '../application/device/DeviceCredentials';
import { DeviceMessageIngress } from '../application/device/DeviceMessageIngress';
import { RateLimiter } from '../application/device/RateLimiter';
import { EventHubTelemetryPublisher } from '../adapters/eventhubs/EventHubTelemetryPublisher';
import type { TelemetryPublisher } from '../ports/TelemetryPublisher';
import { DeviceRegistry } from '../application/DeviceRegistry';
import { AlertRelay } from '../application/liveness/AlertRelay';
import { LivenessIngest } from '../application/liveness/LivenessIngest';
import { LivenessSweep } from '../application/liveness/LivenessSweep';
import { PipelineMonitor } from '../application/liveness/PipelineMonitor';
import { ModuleRegistry } from '../application/ModuleRegistry';
import { TwinRegistry } from '../application/TwinRegistry';
import { TwinQueryService } from '../application/TwinQueryService';
import { CaCertificates } from '../application/CaCertificates';
import { CosmosCaCertificateStore } from '../adapters/cosmos/CosmosCaCertificateStore';
import { CosmosTwinQueryStore } from '../adapters/cosmos/CosmosTwinQueryStore';
import { CosmosConnectionMirror } from '../adapters/cosmos/CosmosConnectionMirror';
import { OtelMetrics } from '../adapters/telemetry/OtelMetrics';
import type { RegistryDeps } from '../application/RegistryDeps';
import type { Settings } from '../config/Settings';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import type { LivenessPolicy } from '../domain/liveness/LivenessRecord';
import { livenessEventHubHandler } from '../liveness/livenessTriggerHandlers';
import type { LivenessServices } from '../liveness/LivenessServices';
import { noAlertPublisher } from '../ports/AlertPublisher';
import { systemClock, type Clock } from '../ports/Clock';
import type { LifecyclePublisher } from '../ports/LifecyclePublisher';
import type { Logger } from '../ports/Logger';
import type { PipelineProbe } from '../ports/PipelineProbe';
import type { RegistryServices } from '../http/RegistryServices';
import type { RegistryStore } from '../ports/RegistryStore';
import type { InvocationContext } from '@azure/functions';
import { DependencyHealth } from '../application/health/DependencyHealth';
import { HealthCheck } from '../application/health/HealthCheck';
import { guardDependency } from './guardDependency';
import { hubHostName } from '../config/hubHostName';

/** What carries the service's events: Event Hubs in the product, something else in a benchmark. */
export interface EventTransport {
  lifecycle: LifecyclePublisher;
  telemetry: TelemetryPublisher;
  probe?: PipelineProbe;
  close(): Promise<void>;
}

export interface RegistryEnvironment {
  settings: Settings;
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  logger: Logger;
  clock?: Clock;
  /**
   * The Functions host's own storage, when it may be another account than the service's:
   * jobs may use it only in the job containers too (it is never added to the allow-list).
   */
  hostStorage?: BlobEndpoint | null;
  /** Test seams: wrap an adapter (e.g. to make a worker die at a chosen point). */
  decorate?: {
    jobStore?: (store: JobStore) => JobStore;
    jobBlobs?: (blobs: JobBlobs) => JobBlobs;
    /** E.g. a test failing or "crashing" the relay's publisher at a chosen point. */
    lifecyclePublisher?: (publisher: LifecyclePublisher) => LifecyclePublisher;
  };
  /**
   * Benchmarks' baseline only: events handed straight to the liveness trigger's handler in this
   * process instead of through Event Hubs (which the service always uses otherwise).
   */
  eventTransport?: (
    livenessHandler: (messages: unknown, context: InvocationContext) => Promise<void>,
  ) => EventTransport;
}

export interface RegistryRuntime {
  services: RegistryServices;
  registryStore: RegistryStore;
  /** The identity container, whose change feed the local host reads for the relay. */
  identities: Container;
  /** Outbox records this process committed: they wake its relay. */
  outboxCommits: OutboxCommits;
  /** The device endpoint's credential cache (its registry reads are counted). */
  credentials: DeviceCredentials;
  /** The device endpoint's authenticator (the MQTT endpoint checks sessions with it too). */
  deviceAuthenticator: DeviceAuthenticator;
  /** `hubName` of the events the service emits. */
  hubName: string;
  cosmos: CosmosClient;
  livenessTable: TableClient;
  catalogTable: TableClient;
  /** Runs the job named by a queue message; `functions/` and the local trigger call it. */
  jobWorker: JobWorker;
  jobQueue: QueueClient;
  jobPoisonQueue: QueueClient;
  close(): Promise<void>;
}

/** A sealing key shared by every instance of the app, derived from (not equal to) the account key. */
const continuationSeal = (accountKey: string) =>
  new ContinuationSeal(createHash('sha256').update(`continuation-token:${accountKey}`).digest());

async function ensureTable(table: TableClient): Promise<void> {
  try {
    await table.createTable();
  } catch (error) {
    // "Already exists" at start-up is expected.
    if ((error as { statusCode?: number }).statusCode !== 409) throw error;
  }
}

/** The composition root: SDK clients and adapters are chosen and built here, once per process. */
export async function createRegistryServices(env: RegistryEnvironment): Promise<RegistryRuntime> {
  const { settings, policies, logger } = env;
  const connections = resolveConnections(settings);
  if (!connections.eventHubs && !env.eventTransport) {
    throw new Error(
      'EVENTHUB_CONNECTION (or EVENTHUB_CONNECTION__fullyQualifiedNamespace) must be set (npm start provides an embedded Event Hubs stand-in when it is absent)',
    );
  }
  const clock = env.clock ?? systemClock;
  // Every adapter of a dependency goes through its guard: an outage is a 503, logged once.
  const health = new DependencyHealth(logger, clock);
  const cosmosGuard = <T extends object>(adapter: T) => guardDependency(adapter, 'cosmos', health);
  const storageGuard = <T extends object>(adapter: T) =>
    guardDependency(adapter, 'storage', health);
  const hubsGuard = <T extends object>(adapter: T) => guardDependency(adapter, 'eventHubs', health);
  const cosmos = cosmosClient(connections.cosmos);
  const container = await ensureCosmosContainer(
    cosmos,
    settings.COSMOS_DATABASE,
    settings.COSMOS_CONTAINER,
  );
  // Derived from a secret every instance shares: the account key, or the owner policy's key.
  const sealSecret =
    'key' in connections.cosmos ? connections.cosmos.key : [...policies.values()][0]?.primaryKey;
  if (!sealSecret) throw new Error('No shared access policy is configured');
  const seal = continuationSeal(sealSecret);
  const outboxCommits = new OutboxCommits();
  const registryStore = cosmosGuard(new CosmosRegistryStore(container, seal, outboxCommits));
  const twinQueries = cosmosGuard(
    new CosmosTwinQueryStore(container, seal, settings.QUERY_TIMEOUT_SECONDS),
  );

  const jobsContainer = await ensureCosmosContainer(
    cosmos,
    settings.COSMOS_DATABASE,
    settings.COSMOS_JOBS_CONTAINER,
    '/id',
  );
  const jobStore = cosmosGuard(
    (env.decorate?.jobStore ?? ((s: JobStore) => s))(new CosmosJobStore(jobsContainer)),
  );
  const storage = storageClients(connections.storage);
  const queues = storage.queues;
  const jobQueue = queues.getQueueClient(settings.JOBS_QUEUE_NAME);
  const jobPoisonQueue = queues.getQueueClient(`${settings.JOBS_QUEUE_NAME}-poison`);
  await jobQueue.createIfNotExists();

  const livenessTable = storage.table(settings.LIVENESS_TABLE);
  await ensureTable(livenessTable);
  const catalogTable = storage.table(settings.CATALOG_TABLE);
  await ensureTable(catalogTable);
  const livenessStore = storageGuard(
    new TableLivenessStore(livenessTable, new LivenessKeys(settings.LIVENESS_PARTITIONS)),
  );
  const policy: LivenessPolicy = {
    defaultIntervalSeconds: settings.LIVENESS_DEFAULT_INTERVAL_SECONDS,
    graceFactor: settings.LIVENESS_GRACE_FACTOR,
    tombstoneSeconds: settings.LIVENESS_TOMBSTONE_SECONDS,
    disconnectGraceSeconds: settings.LIVENESS_DISCONNECT_GRACE_SECONDS ?? null,
  };

  let alertPublisher = noAlertPublisher;
  let transport: EventTransport;
  let hubsProbe: (() => Promise<void>) | undefined;
  // A transport delivers to the ingest built below; it only calls once events flow.
  const built: { liveness?: LivenessServices } = {};
  if (env.eventTransport) {
    transport = env.eventTransport(
      livenessEventHubHandler(() => Promise.resolve(built.liveness as LivenessServices)),
    );
  } else {
    const connection = connections.eventHubs!;
    const lifecycleProducer = producerClient(connection, settings.LIVENESS_EVENTHUB_NAME);
    const lifecycleHub = new EventHubPublisher(lifecycleProducer);
    hubsProbe = async () => {
      await lifecycleProducer.getEventHubProperties({ abortSignal: AbortSignal.timeout(3_000) });
    };
    const alertHub = new EventHubPublisher(
      producerClient(connection, settings.ALERTS_EVENTHUB_NAME),
    );
    const consumer = consumerClient(connection, '$Default', settings.LIVENESS_EVENTHUB_NAME);
    alertPublisher = hubsGuard(new EventHubAlertPublisher(alertHub));
    transport = {
      lifecycle: hubsGuard(new EventHubLifecyclePublisher(lifecycleHub)),
      telemetry: hubsGuard(new EventHubTelemetryPublisher(lifecycleHub)),
      probe: hubsGuard(new EventHubPipelineProbe(consumer, livenessStore)),
      close: async () => {
        await Promise.allSettled([lifecycleHub.close(), alertHub.close(), consumer.close()]);
      },
    };
  }
  const publisher = transport.lifecycle;
  const pipeline = new PipelineMonitor(
    livenessStore,
    transport.probe,
    settings.LIVENESS_MAX_PIPELINE_LAG_SECONDS,
  );
  const mirror = cosmosGuard(new CosmosConnectionMirror(container));
  const metrics = new OtelMetrics();
  const alertRelay = new AlertRelay(livenessStore, alertPublisher, logger, mirror);
  const liveness: LivenessServices = {
    store: livenessStore,
    ingest: new LivenessIngest(livenessStore, policy, logger, alertRelay, clock, undefined, mirror),
    sweep: new LivenessSweep(livenessStore, pipeline, alertRelay, policy, logger),
    pipeline,
    policy,
    clock,
    logger,
    metrics,
  };
  built.liveness = liveness;

  const hostName = hubHostName(settings);
  const credentials = new DeviceCredentials(
    registryStore,
    clock,
    settings.DEVICE_CREDENTIAL_CACHE_SECONDS * 1000,
  );
  const relay = new LifecycleRelay(
    cosmosGuard(new CosmosLifecycleOutbox(container)),
    env.decorate?.lifecyclePublisher?.(publisher) ?? publisher,
    logger,
  );
  const hubName = settings.HUB_NAME ?? settings.IOTHUB_HOST_NAME?.split('.')[0] ?? 'localhost';
  const deviceAuthenticator = new DeviceAuthenticator(credentials, policies, [hostName], () =>
    certificates.verified(),
  );
  const deps: RegistryDeps = {
    store: registryStore,
    clock,
    logger,
    hubName,
    maxModulesPerDevice: settings.MAX_MODULES_PER_DEVICE,
    observer: credentials,
  };
  const devices = new DeviceRegistry(deps);
  const modules = new ModuleRegistry(deps);
  const bulk = new BulkRegistry(devices, modules, logger);
  const queue = storageGuard(new StorageJobQueue(jobQueue));
  const certificates = new CaCertificates(
    cosmosGuard(new CosmosCaCertificateStore(container)),
    clock,
    settings.DEVICE_CREDENTIAL_CACHE_SECONDS * 1000,
  );
  // Identity-based jobs reach customer storage as the identity the app reaches its own with.
  const storageIdentity =
    'identity' in connections.storage ? credentialFor(connections.storage.identity) : null;
  // The own account is on the allow-list, but only for the containers named for jobs.
  const ownEndpoint =
    'connectionString' in connections.storage
      ? ownBlobEndpoint(connections.storage.connectionString)
      : { url: connections.storage.blobUri, accountName: null };
  const own = [ownEndpoint, env.hostStorage ?? null]
    .filter((e): e is BlobEndpoint => e !== null)
    .map((e) => ownStorageAccount(e.url, e.accountName, settings.JOBS_OWN_ACCOUNT_CONTAINERS));
  const destinations = new AllowListDestinationGuard(
    parseAllowList(
      [
        settings.JOBS_ALLOWED_STORAGE_HOSTS,
        ...(ownEndpoint ? [allowListEntry(ownEndpoint.url)] : []),
      ].join(','),
    ),
    own,
  );
  const jobWorker = new JobWorker({
    jobs: jobStore,
    queue,
    blobs: (env.decorate?.jobBlobs ?? ((b: JobBlobs) => b))(
      new SasJobBlobs(destinations, storageIdentity),
    ),
    store: registryStore,
    bulk,
    parseLine: parseImportLine,
    clock,
    logger,
    metrics,
    settings: {
      maxConcurrentJobs: settings.JOBS_MAX_CONCURRENT,
      leaseSeconds: settings.JOBS_LEASE_SECONDS,
      sliceSeconds: settings.JOBS_SLICE_SECONDS,
      exportPageSize: settings.JOBS_EXPORT_PAGE_SIZE,
      importChunkLines: settings.JOBS_IMPORT_CHUNK_LINES,
      maxDequeueCount: settings.JOBS_MAX_DEQUEUE_COUNT,
    },
  });
  const twins = new TwinRegistry(deps);
  const configurationStore = cosmosGuard(new CosmosConfigurationStore(container));
  return {
    services: {
      devices,
      modules,
      twins,
      queries: new TwinQueryService(twinQueries),
      configurations: new ConfigurationRegistry(configurationStore, twinQueries, clock),
      configurationContent: new ConfigurationContentApplier(devices, modules, twins),
      certificates,
      metrics,
      bulk,
      jobs: new RegistryJobs(jobStore, queue, clock, logger, destinations, {
        hasIdentity: storageIdentity !== null,
        maxActive: settings.JOBS_MAX_ACTIVE,
      }),
      jobWorker,
      policies,
      clock,
      // Tokens bind to the configured host only, never to the host a request names.
      hostNames: [hostName],
      liveness,
      deviceIngress: new DeviceMessageIngress(
        deviceAuthenticator,
        transport.telemetry,
        new RateLimiter(settings.DEVICE_MESSAGES_PER_SECOND, settings.DEVICE_MESSAGE_BURST),
        clock,
      ),
      relay,
      catalog: new CatalogSync(storageGuard(new TableDeviceCatalog(catalogTable))),
      dependencies: health,
      health: new HealthCheck(health, {
        cosmos: cosmosGuard({
          probe: async () => {
            await container.read();
          },
        }).probe,
        storage: storageGuard({
          probe: async () => {
            await jobQueue.getProperties();
          },
        }).probe,
        ...(hubsProbe ? { eventHubs: hubsGuard({ probe: hubsProbe }).probe } : {}),
      }),
    },
    catalogTable,
    credentials,
    deviceAuthenticator,
    hubName,
    identities: container,
    outboxCommits,
    registryStore,
    cosmos,
    livenessTable,
    jobWorker,
    jobQueue,
    jobPoisonQueue,
    close: async () => {
      await transport.close().catch(() => undefined);
      cosmos.dispose();
    },
  };
}
