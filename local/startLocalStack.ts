import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadOrCreatePolicies } from '../src/adapters/policies/loadOrCreatePolicies';
import { parsePolicies } from '../src/adapters/policies/parsePolicies';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../src/composition/createRegistryServices';
import type { Settings } from '../src/config/Settings';
import type { SharedAccessPolicy } from '../src/domain/auth/SharedAccessPolicy';
import { routes } from '../src/http/routes';
import type { Logger } from '../src/ports/Logger';
import { serviceConnectionString } from './connectionStrings';
import { close, listen } from './listen';
import { LocalFunctionHost } from './LocalFunctionHost';
import { LocalTimer } from './LocalTimer';
import { jobTrigger } from './jobTrigger';
import { relayTrigger } from './relayTrigger';
import { reconcileLiveness } from '../src/application/liveness/reconcileLiveness';
import { TRIGGERS } from '../src/triggers/triggerTable';
import { bindingValue } from './bindingValue';
import { loadOrCreateCertificate } from './loadOrCreateCertificate';
import { startAzurite, type AzuriteInstance } from './startAzurite';
import { startCosmosStandIn, type CosmosStandIn } from '../standins/cosmos/startCosmosStandIn';
import {
  startEventHubsStandIn,
  type EventHubsStandIn,
} from '../standins/eventhubs/startEventHubsStandIn';
import {
  superviseStandIn,
  type SupervisedStandIn,
  type SuperviseOptions,
} from './superviseStandIn';
import { deviceRoutes } from '../src/http/api/deviceEndpointRoutes';
import { createHmac } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { eventHubTriggers, type EventHubTriggers } from './eventHubTriggers';
import { hubHostName } from '../src/config/hubHostName';
import { standInHubs } from './standInHubs';
import { startMqttProcess, type MqttProcess } from './startMqttProcess';
import { EventGridWebhook, eventGridSystemKey } from './EventGridWebhook';
import { startPipelineProcess, type PipelineProcess } from './startPipelineProcess';

/** The key name of the embedded Event Hubs stand-in, as on a namespace. */
const EVENTHUBS_KEY_NAME = 'RootManageSharedAccessKey';

export interface LocalStack {
  httpUrl: string;
  httpsUrl: string;
  httpsPort: number;
  /** The MQTT device endpoint (its own process): MQTT over TLS, and over WebSockets. */
  mqttPort: number;
  mqttWsPort: number;
  /** PEM of the self-signed certificate, for clients that must trust it. */
  certificate: string;
  serviceConnectionString: string;
  /** The Event Grid webhook's system key (`code=`), for EVENT_GRID_WEBHOOK_PATH. */
  eventGridKey: string;
  storageConnectionString: string;
  /** The Event Hubs namespace (the embedded stand-in's, unless one was configured). */
  eventHubConnectionString: string;
  /** The liveness ingest's and the device catalog's consumers (not here with LOCAL_PIPELINE=process). */
  consumers: EventHubTriggers | undefined;
  cosmosEndpoint: string;
  cosmosKey: string;
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  runtime: RegistryRuntime;
  /** The embedded stand-ins it started (each restarted after a crash), for tests to kill. */
  standIns: {
    cosmos?: SupervisedStandIn<CosmosStandIn>;
    azurite?: SupervisedStandIn<AzuriteInstance>;
    eventHubs?: SupervisedStandIn<EventHubsStandIn>;
    /** Not a stand-in but a product part; supervised the same way. */
    mqtt?: SupervisedStandIn<MqttProcess>;
    /** The relay and the Event Hubs consumers, with LOCAL_PIPELINE=process. */
    pipeline?: SupervisedStandIn<PipelineProcess>;
  };
  /** Stops everything, each step within its deadline: within 10 s in all. */
  stop(): Promise<void>;
  /** SIGKILLs the stand-ins at once (a second Ctrl-C): nothing is flushed. */
  kill(): void;
}

/** Each step of a stop gets this long before the next one starts anyway. */
const STOP_STEP_MS = 2_500;
/** Connections the host serves at once (more wait in the kernel's backlog, then are refused). */
const MAX_CONNECTIONS = 1_000;

export interface LocalStackOptions {
  settings: Settings;
  logger: Logger;
  /** Keep Azurite's data in memory (tests) instead of DATA_DIR. */
  inMemoryStorage?: boolean;
  /** How crashed stand-ins are restarted (tests slow it down to watch an outage). */
  supervise?: SuperviseOptions;
}

/** Runs one step of a stop; one that takes longer is left behind (logged) so the stop goes on. */
async function withinDeadline(
  what: string,
  step: () => Promise<void>,
  ms: number,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    const outcome = await Promise.race([step().then(() => 'done' as const), late]);
    if (outcome === 'late') logger.warn(`Stopping ${what} took over ${ms} ms: going on without it`);
  } catch (error) {
    logger.error(`Stopping ${what} failed`, error);
  } finally {
    clearTimeout(timer);
  }
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
  supervise,
}: LocalStackOptions): Promise<LocalStack> {
  const stops: { what: string; stop: () => Promise<void> }[] = [];
  const standIns: LocalStack['standIns'] = {};
  const supervised = () => [standIns.cosmos, standIns.azurite, standIns.eventHubs];
  let stopping: Promise<void> | undefined;
  // Last started, first stopped; the stand-ins last, together, once nothing uses them.
  const stop = () =>
    (stopping ??= (async () => {
      for (const s of [...supervised(), standIns.mqtt, standIns.pipeline]) s?.release();
      for (const { what, stop: step } of stops.reverse())
        await withinDeadline(what, step, STOP_STEP_MS, logger);
      stops.length = 0;
      await Promise.all(
        supervised().map((s) => (s ? s.stop().catch(() => undefined) : Promise.resolve())),
      );
    })());
  const kill = () => {
    for (const s of [...supervised(), standIns.mqtt, standIns.pipeline]) {
      s?.release();
      void s?.kill();
    }
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
    const startCosmos = (port?: number) =>
      startCosmosStandIn({ dataDir: join(dataDir, 'cosmos'), ...(port ? { port } : {}) });
    const storagePorts = {
      blob: settings.AZURITE_BLOB_PORT,
      queue: settings.AZURITE_QUEUE_PORT,
      table: settings.AZURITE_TABLE_PORT,
    };
    const startStorage = (ports: AzuriteInstance['ports'] = storagePorts) =>
      startAzurite({
        ...(inMemoryStorage ? { inMemory: true } : { location: join(dataDir, 'azurite') }),
        ports,
      }).catch((error: Error) => {
        const taken = /EADDRINUSE[^\n]*:(\d+)/.exec(error.message)?.[1];
        if (!taken) throw error;
        const setting = Object.entries(storagePorts).find(([, p]) => p === Number(taken))?.[0];
        throw new Error(
          `Azurite's port ${taken} is in use (another Azurite?): stop it, or set ${setting ? `AZURITE_${setting.toUpperCase()}_PORT` : 'AZURITE_BLOB_PORT, AZURITE_QUEUE_PORT and AZURITE_TABLE_PORT'} to a free port (0 for any)`,
        );
      });
    const startHubs = (port: number) =>
      startEventHubsStandIn({
        hubs: standInHubs(settings),
        keyName: EVENTHUBS_KEY_NAME,
        // Stable across restarts without a file of its own: derived from the owner's key.
        key: createHmac('sha256', owner.primaryKey).update('eventhubs-standin').digest('base64'),
        port,
        dataDir: join(dataDir, 'eventhubs'),
        retentionHours: settings.EVENTHUB_RETENTION_HOURS,
        log: (line) => logger.warn(`Event Hubs stand-in: ${line}`),
      }).catch((error: Error) => {
        throw error.message.includes('EADDRINUSE')
          ? new Error(
              `The Event Hubs stand-in's port ${settings.EVENTHUB_PORT} is in use: set EVENTHUB_PORT to a free port (0 for any)`,
            )
          : error;
      });
    // Started side by side; whichever starts is registered for stopping even if another fails.
    const [cosmos, azurite, hubs] = await Promise.allSettled([
      embeddedCosmos ? startCosmos() : undefined,
      storage ? undefined : startStorage(),
      eventHubs ? undefined : startHubs(settings.EVENTHUB_PORT),
    ]);
    // Whichever started is supervised (restarted after a crash), and stopped by stop().
    if (cosmos.status === 'fulfilled' && cosmos.value)
      standIns.cosmos = superviseStandIn(
        'The Cosmos DB stand-in',
        cosmos.value,
        () => startCosmos(cosmos.value!.port),
        logger,
        supervise,
      );
    if (azurite.status === 'fulfilled' && azurite.value)
      standIns.azurite = superviseStandIn(
        'Azurite',
        azurite.value,
        () => startStorage(azurite.value!.ports),
        logger,
        supervise,
      );
    if (hubs.status === 'fulfilled' && hubs.value)
      standIns.eventHubs = superviseStandIn(
        'The Event Hubs stand-in',
        hubs.value,
        () => startHubs(hubs.value!.port),
        logger,
        supervise,
      );
    if (cosmos.status === 'rejected') throw cosmos.reason;
    if (azurite.status === 'rejected') throw azurite.reason;
    if (hubs.status === 'rejected') throw hubs.reason;
    if (cosmos.value) {
      cosmosEndpoint = cosmos.value.endpoint;
      cosmosKey = cosmos.value.key;
    }
    if (azurite.value) {
      storage = azurite.value.connectionString;
      // As infra/main.bicep creates them in Azure: the only containers of this account jobs may use.
      const blobs = BlobServiceClient.fromConnectionString(storage);
      for (const container of settings.JOBS_OWN_ACCOUNT_CONTAINERS)
        await blobs.getContainerClient(container).createIfNotExists();
    }
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
    stops.push({ what: 'closing the SDK clients', stop: () => runtime.close() });

    const sweep = TRIGGERS.livenessSweep;
    const sweepTimer = new LocalTimer(
      sweep.name,
      bindingValue(sweep.options.schedule, settings),
      sweep.handler(() => Promise.resolve(runtime.services)),
      logger,
    );
    sweepTimer.start();
    stops.push({ what: 'the liveness sweep', stop: () => sweepTimer.stop() });

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

    const pipelineSettings: Settings = {
      ...settings,
      COSMOS_ENDPOINT: cosmosEndpoint,
      COSMOS_KEY: cosmosKey,
      STORAGE_CONNECTION_STRING: storage,
      EVENTHUB_CONNECTION: eventHubs,
    };
    let consumers: EventHubTriggers | undefined;
    if (settings.LOCAL_PIPELINE === 'process') {
      // As another instance of the Function App: the relay and the consumers in a process of
      // their own, told over IPC when this one committed outbox records.
      const startPipeline = () =>
        startPipelineProcess(pipelineSettings, policies, (line) => logger.info(line));
      const pipeline = superviseStandIn(
        'The pipeline process',
        await startPipeline(),
        startPipeline,
        logger,
        supervise,
      );
      standIns.pipeline = pipeline;
      const unsubscribe = runtime.outboxCommits.subscribe(() =>
        pipeline.current().outboxCommitted(),
      );
      stops.push({
        what: 'the pipeline process',
        stop: async () => {
          unsubscribe();
          await pipeline.stop();
        },
      });
    } else {
      // Event Hubs triggers first: the relay's and the endpoint's events have a consumer.
      const inHost = eventHubTriggers(runtime, pipelineSettings, logger);
      consumers = inHost;
      await inHost.start();
      stops.push({ what: 'the Event Hubs consumers', stop: () => inHost.stop() });

      const relay = await relayTrigger(runtime, settings, logger);
      await relay.start();
      stops.push({ what: 'the lifecycle relay', stop: () => relay.stop() });
    }

    const jobs = jobTrigger(runtime, settings, logger);
    await jobs.start();
    stops.push({ what: 'the job worker', stop: () => jobs.stop() });

    let httpsPort = 0;
    const eventGridKey = eventGridSystemKey(settings.EVENTGRID_SYSTEM_KEY, owner.primaryKey);
    const host = new LocalFunctionHost(
      routes(() => Promise.resolve(runtime.services)),
      logger,
      {
        // As IoT Hub: devices reach it over TLS only.
        tlsOnly: deviceRoutes(() => Promise.resolve(runtime.services)).map((r) => r.name),
        tlsUrl: () => `https://localhost:${httpsPort}`,
        eventGrid: new EventGridWebhook(
          new Map([
            [
              TRIGGERS.livenessEventGrid.name,
              TRIGGERS.livenessEventGrid.handler(() => Promise.resolve(runtime.services)),
            ],
          ]),
          eventGridKey,
          logger,
        ),
      },
    );
    const { key, cert } = await loadOrCreateCertificate(dataDir);
    // Slow or idle callers cannot hold connections for long, nor open them without bound.
    const limits = { keepAlive: true, headersTimeout: 20_000, requestTimeout: 60_000 };
    const http = createHttpServer(limits, host.listener);
    const https = createHttpsServer(
      // Devices with X.509 identities present a client certificate; others need not.
      { ...limits, key, cert, requestCert: true, rejectUnauthorized: false },
      host.listener,
    );
    http.maxConnections = MAX_CONNECTIONS;
    https.maxConnections = MAX_CONNECTIONS;
    const httpPort = await listen(http, settings.PORT, settings.HOST, 'The HTTP host');
    stops.push({ what: 'the HTTP host', stop: () => close(http) });
    httpsPort = await listen(https, settings.HTTPS_PORT, settings.HOST, 'The HTTPS host');
    stops.push({ what: 'the HTTPS host', stop: () => close(https) });

    // The MQTT endpoint: a process of its own (Functions cannot hold sockets), on the stack's
    // stores, serving the HTTPS host's certificate; stopped first, so it records its sessions' ends.
    const mqttSettings: Settings = {
      ...settings,
      COSMOS_ENDPOINT: cosmosEndpoint,
      COSMOS_KEY: cosmosKey,
      STORAGE_CONNECTION_STRING: storage,
      EVENTHUB_CONNECTION: eventHubs,
    };
    const startMqtt = (ports?: { port: number; wsPort: number }) =>
      startMqttProcess(
        ports
          ? { ...mqttSettings, MQTT_PORT: ports.port, MQTT_WS_PORT: ports.wsPort }
          : mqttSettings,
        policies,
        (line) => logger.info(line),
      ).catch((error: Error) => {
        throw /EADDRINUSE/.test(error.message)
          ? new Error(
              `One of the MQTT endpoint's ports (${settings.MQTT_PORT}, ${settings.MQTT_WS_PORT}, ${settings.MQTT_METHODS_PORT}) is in use: set MQTT_PORT, MQTT_WS_PORT and MQTT_METHODS_PORT to free ports (0 for any)`,
            )
          : error;
      });
    const mqtt = await startMqtt();
    const mqttSupervised = superviseStandIn(
      'The MQTT endpoint',
      mqtt,
      () => startMqtt(mqtt),
      logger,
      supervise,
    );
    standIns.mqtt = mqttSupervised;
    stops.push({ what: 'the MQTT endpoint', stop: () => mqttSupervised.stop() });

    const hostName = hubHostName(settings);
    return {
      mqttPort: mqtt.port,
      mqttWsPort: mqtt.wsPort,
      httpUrl: `http://localhost:${httpPort}`,
      httpsUrl: `https://localhost:${httpsPort}`,
      httpsPort,
      certificate: cert,
      serviceConnectionString: serviceConnectionString(hostName, owner),
      eventGridKey,
      storageConnectionString: storage ?? '',
      eventHubConnectionString: eventHubs ?? '',
      consumers,
      cosmosEndpoint: cosmosEndpoint ?? '',
      cosmosKey: cosmosKey ?? '',
      policies,
      runtime,
      standIns,
      stop,
      kill,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
