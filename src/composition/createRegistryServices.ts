import { CosmosClient, type Container } from '@azure/cosmos';
import { TableClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';
import { CosmosSessionStore } from '../adapters/cosmos/CosmosSessionStore';
import { directMethods } from './directMethods';
import { type BlobEndpoint } from '../adapters/blob/ownBlobEndpoint';
import { resolveConnections } from './resolveConnections';
import { cosmosClient, storageClients } from './clientsFor';
import { JobWorker } from '../application/jobs/JobWorker';
import type { JobBlobs } from '../ports/JobBlobs';
import type { JobStore } from '../ports/JobStore';
import { createHash } from 'node:crypto';
import { ContinuationSeal } from '../adapters/cosmos/ContinuationSeal';
import { CosmosLifecycleOutbox } from '../adapters/cosmos/CosmosLifecycleOutbox';
import { OutboxCommits } from '../adapters/cosmos/OutboxCommits';
import { LifecycleRelay } from '../application/lifecycle/LifecycleRelay';
import { CatalogSync } from '../application/catalog/CatalogSync';
import { TableDeviceCatalog } from '../adapters/tables/TableDeviceCatalog';
import { ensureCosmosContainer } from '../adapters/cosmos/ensureCosmosContainer';
import { DeviceAuthenticator } from '../application/device/DeviceAuthenticator';
import { DeviceCredentials } from '../application/device/DeviceCredentials';
import { DeviceMessageIngress } from '../application/device/DeviceMessageIngress';
import { RateLimiter } from '../application/device/RateLimiter';
import { OtelMetrics } from '../adapters/telemetry/OtelMetrics';
import type { Settings } from '../config/Settings';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import { livenessEventHubHandler } from '../triggers/livenessHandlers';
import type { LivenessServices } from '../application/liveness/LivenessServices';
import { systemClock, type Clock } from '../ports/Clock';
import type { LifecyclePublisher } from '../ports/LifecyclePublisher';
import type { Logger } from '../ports/Logger';
import type { RegistryServices } from '../http/RegistryServices';
import type { RegistryStore } from '../ports/RegistryStore';
import type { InvocationContext } from '@azure/functions';
import { DependencyHealth } from '../application/health/DependencyHealth';
import { HealthCheck } from '../application/health/HealthCheck';
import { guardDependency } from './guardDependency';
import { eventsCapability, type EventTransport } from './eventsCapability';
import { ensureTable, livenessCapability, livenessMap } from './livenessCapability';
import type { Platform } from './Platform';
import { registryCapability } from './registryCapability';
import { jobsCapability } from './jobsCapability';
import { ConfigurationRegistry } from '../configurations/ConfigurationRegistry';
import { ConfigurationContentApplier } from '../configurations/ConfigurationContentApplier';
import { CosmosConfigurationStore } from '../adapters/cosmos/CosmosConfigurationStore';

export type { EventTransport } from './eventsCapability';

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
  const storage = storageClients(connections.storage);
  const platform: Platform = {
    settings,
    policies,
    logger,
    clock,
    health,
    connections,
    cosmos,
    container,
    storage,
    guard: { cosmos: cosmosGuard, storage: storageGuard, eventHubs: hubsGuard },
  };
  const registry = registryCapability(platform, { seal, outboxCommits });
  const { registryStore, credentials, deviceAuthenticator, certificates, hubName, hostName } =
    registry;

  const { table: livenessTable, store: livenessStore } = await livenessMap(platform);
  const catalogTable = await ensureTable(storage.table(settings.CATALOG_TABLE));
  // A transport delivers to the ingest built below; it only calls once events flow.
  const built: { liveness?: LivenessServices } = {};
  const events = eventsCapability(platform, {
    livenessStore,
    ...(env.eventTransport ? { custom: env.eventTransport } : {}),
    livenessHandler: livenessEventHubHandler(() =>
      Promise.resolve(built.liveness as LivenessServices),
    ),
  });
  const { transport } = events;
  const hubsProbe = events.probe;
  const publisher = transport.lifecycle;
  const metrics = new OtelMetrics();
  const liveness = livenessCapability(platform, {
    store: livenessStore,
    probe: transport.probe,
    alerts: events.alerts,
    metrics,
  });
  built.liveness = liveness;

  const relay = new LifecycleRelay(
    cosmosGuard(new CosmosLifecycleOutbox(container)),
    env.decorate?.lifecyclePublisher?.(publisher) ?? publisher,
    logger,
  );
  const { jobQueue, jobPoisonQueue, jobWorker, jobs } = await jobsCapability(platform, {
    registryStore,
    bulk: registry.bulk,
    metrics,
    hostStorage: env.hostStorage ?? null,
    decorate: env.decorate ?? {},
  });
  return {
    services: {
      devices: registry.devices,
      modules: registry.modules,
      twins: registry.twins,
      configurations: new ConfigurationRegistry(
        cosmosGuard(new CosmosConfigurationStore(container)),
        registry.twinQueries,
        clock,
      ),
      configurationContent: new ConfigurationContentApplier(
        registry.devices,
        registry.modules,
        registry.twins,
      ),
      methods: directMethods({
        policies,
        hostName,
        registry: registryStore,
        sessions: cosmosGuard(new CosmosSessionStore(container)),
        clock,
        logger,
      }),
      queries: registry.queries,
      certificates,
      metrics,
      bulk: registry.bulk,
      jobs,
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
