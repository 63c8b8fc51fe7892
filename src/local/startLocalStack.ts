import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadOrCreatePolicies } from '../adapters/policies/loadOrCreatePolicies';
import { parsePolicies } from '../adapters/policies/parsePolicies';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../composition/createRegistryServices';
import type { Settings } from '../config/Settings';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import { routes } from '../http/routes';
import type { Logger } from '../ports/Logger';
import { serviceConnectionString } from './connectionStrings';
import { close, listen } from './listen';
import { LocalFunctionHost } from './LocalFunctionHost';
import { LocalTimer } from './LocalTimer';
import { jobTrigger } from './jobTrigger';
import { relayTrigger } from './relayTrigger';
import { reconcileLiveness } from '../application/liveness/reconcileLiveness';
import { livenessTriggers } from '../liveness/livenessTriggers';
import { loadOrCreateCertificate } from './loadOrCreateCertificate';
import { startAzurite } from './startAzurite';
import { startCosmosStandIn } from '../../standins/cosmos/startCosmosStandIn';
import { startEventHubsStandIn } from '../../standins/eventhubs/startEventHubsStandIn';
import { createHmac } from 'node:crypto';
import { eventHubTriggers, type EventHubTriggers } from './eventHubTriggers';
import { hubHostName } from '../config/hubHostName';

/** The key name of the embedded Event Hubs stand-in, as on a namespace. */
const EVENTHUBS_KEY_NAME = 'RootManageSharedAccessKey';

export interface LocalStack {
  httpUrl: string;
  httpsUrl: string;
  httpsPort: number;
  /** PEM of the self-signed certificate, for clients that must trust it. */
  certificate: string;
  serviceConnectionString: string;
  storageConnectionString: string;
  /** The Event Hubs namespace (the embedded stand-in's, unless one was configured). */
  eventHubConnectionString: string;
  /** The liveness ingest's and the device catalog's consumers. */
  consumers: EventHubTriggers;
  cosmosEndpoint: string;
  cosmosKey: string;
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  runtime: RegistryRuntime;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  settings: Settings;
  logger: Logger;
  /** Keep Azurite's data in memory (tests) instead of DATA_DIR. */
  inMemoryStorage?: boolean;
}

/**
 * The whole service on one machine: embedded stand-ins for whatever is not configured, the
 * local Functions host on HTTP and HTTPS, and the same route table Azure registers.
 * Everything started here is stopped by `stop()`, also when start-up fails half-way.
 */
export async function startLocalStack({
  settings,
  logger,
  inMemoryStorage,
}: LocalStackOptions): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse())
      await s().catch((e: unknown) => logger.error('Stopping failed', e));
    stops.length = 0;
  };
  try {
    const dataDir = resolve(settings.DATA_DIR);
    await mkdir(dataDir, { recursive: true });

    let {
      COSMOS_ENDPOINT: cosmosEndpoint,
      COSMOS_KEY: cosmosKey,
      STORAGE_CONNECTION_STRING: storage,
    } = settings;
    let eventHubs = settings.EVENTHUB_CONNECTION;
    const policies = settings.SHARED_ACCESS_POLICIES
      ? parsePolicies(settings.SHARED_ACCESS_POLICIES, 'SHARED_ACCESS_POLICIES')
      : await loadOrCreatePolicies(dataDir);
    const owner = policies.get('iothubowner') ?? [...policies.values()][0];
    if (!owner) throw new Error('No shared access policy is configured');

    const embeddedCosmos = !cosmosEndpoint;
    // Started side by side; whichever starts is registered for stopping even if another fails.
    const [cosmos, azurite, hubs] = await Promise.allSettled([
      embeddedCosmos ? startCosmosStandIn({ dataDir: join(dataDir, 'cosmos') }) : undefined,
      storage
        ? undefined
        : startAzurite(
            inMemoryStorage ? { inMemory: true } : { location: join(dataDir, 'azurite') },
          ),
      eventHubs
        ? undefined
        : startEventHubsStandIn({
            hubs: [
              {
                name: settings.LIVENESS_EVENTHUB_NAME,
                partitions: settings.EVENTHUB_PARTITIONS,
                consumerGroups: [settings.CATALOG_CONSUMER_GROUP],
              },
              { name: settings.ALERTS_EVENTHUB_NAME, partitions: settings.EVENTHUB_PARTITIONS },
            ],
            keyName: EVENTHUBS_KEY_NAME,
            // Stable across restarts without a file of its own: derived from the owner's key.
            key: createHmac('sha256', owner.primaryKey)
              .update('eventhubs-standin')
              .digest('base64'),
            port: settings.EVENTHUB_PORT,
            dataDir: join(dataDir, 'eventhubs'),
            retentionHours: settings.EVENTHUB_RETENTION_HOURS,
            log: (line) => logger.warn(`Event Hubs stand-in: ${line}`),
          }).catch((error: Error) => {
            throw error.message.includes('EADDRINUSE')
              ? new Error(
                  `The Event Hubs stand-in's port ${settings.EVENTHUB_PORT} is in use: set EVENTHUB_PORT to a free port (0 for any)`,
                )
              : error;
          }),
    ]);
    for (const started of [cosmos, azurite, hubs]) {
      const value = started.status === 'fulfilled' ? started.value : undefined;
      if (value) stops.push(() => value.stop());
    }
    if (cosmos.status === 'rejected') throw cosmos.reason;
    if (azurite.status === 'rejected') throw azurite.reason;
    if (hubs.status === 'rejected') throw hubs.reason;
    if (cosmos.value) {
      cosmosEndpoint = cosmos.value.endpoint;
      cosmosKey = cosmos.value.key;
    }
    if (azurite.value) storage = azurite.value.connectionString;
    if (hubs.value) eventHubs = hubs.value.connectionString();

    const runtime = await createRegistryServices({
      settings: {
        ...settings,
        COSMOS_ENDPOINT: cosmosEndpoint,
        COSMOS_KEY: cosmosKey,
        STORAGE_CONNECTION_STRING: storage,
        EVENTHUB_CONNECTION: eventHubs,
      },
      policies,
      logger,
    });
    stops.push(() => runtime.close());

    const triggers = livenessTriggers(() => Promise.resolve(runtime.services.liveness));
    const sweepTimer = new LocalTimer(
      triggers.sweep.name,
      settings.LIVENESS_SWEEP_SCHEDULE,
      triggers.sweep.handler,
      logger,
    );
    sweepTimer.start();
    stops.push(() => sweepTimer.stop());

    // Azurite keeps tables in memory between saves: after a kill, repair what the map lost.
    void reconcileLiveness(
      runtime.registryStore,
      runtime.services.liveness.store,
      runtime.services.liveness.ingest,
      runtime.services.clock,
    ).then(
      ({ created, deleted }) => {
        if (created + deleted > 0)
          logger.info(`Liveness map repaired: ${created} entries added, ${deleted} removed`);
      },
      (error: unknown) => logger.error('Reconciling the liveness map failed', error),
    );

    // Event Hubs triggers first: the relay's and the endpoint's events have a consumer.
    const consumers = eventHubTriggers(
      runtime,
      { ...settings, EVENTHUB_CONNECTION: eventHubs, STORAGE_CONNECTION_STRING: storage },
      logger,
    );
    await consumers.start();
    stops.push(() => consumers.stop());

    const relay = await relayTrigger(runtime, settings, logger);
    await relay.start();
    stops.push(() => relay.stop());

    const jobs = jobTrigger(runtime, settings, logger);
    await jobs.start();
    stops.push(() => jobs.stop());

    const host = new LocalFunctionHost(
      routes(() => Promise.resolve(runtime.services)),
      logger,
    );
    const { key, cert } = await loadOrCreateCertificate(dataDir);
    const http = createHttpServer({ keepAlive: true }, host.listener);
    const https = createHttpsServer(
      // Devices with X.509 identities present a client certificate; others need not.
      { key, cert, keepAlive: true, requestCert: true, rejectUnauthorized: false },
      host.listener,
    );
    const httpPort = await listen(http, settings.PORT, settings.HOST, 'The HTTP host');
    stops.push(() => close(http));
    const httpsPort = await listen(https, settings.HTTPS_PORT, settings.HOST, 'The HTTPS host');
    stops.push(() => close(https));

    const hostName = hubHostName(settings);
    return {
      httpUrl: `http://localhost:${httpPort}`,
      httpsUrl: `https://localhost:${httpsPort}`,
      httpsPort,
      certificate: cert,
      serviceConnectionString: serviceConnectionString(hostName, owner),
      storageConnectionString: storage ?? '',
      eventHubConnectionString: eventHubs ?? '',
      consumers,
      cosmosEndpoint: cosmosEndpoint ?? '',
      cosmosKey: cosmosKey ?? '',
      policies,
      runtime,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
