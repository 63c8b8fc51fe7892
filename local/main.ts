import { resolve } from 'node:path';
import { parseSettings } from '../src/config/Settings';
import { consoleLogger } from '../src/adapters/logging/consoleLogger';
import { readLocalSettings } from './readLocalSettings';
import { startLocalStack } from './startLocalStack';
import { consumerGroupsLine } from './standInHubs';

/** `npm start`: the whole service, with embedded stand-ins for anything not configured. */
async function main(): Promise<void> {
  const settings = parseSettings(readLocalSettings());
  const stack = await startLocalStack({ settings, logger: consoleLogger });
  const log = (line: string) => consoleLogger.info(line);
  log(`Registry (HTTP)  : ${stack.httpUrl}`);
  log(
    `Registry (HTTPS) : ${stack.httpsUrl}   (self-signed certificate: ${settings.DATA_DIR}/tls/cert.pem)`,
  );
  log(
    `Cosmos DB        : ${stack.cosmosEndpoint}${settings.COSMOS_ENDPOINT ? '' : `   (embedded stand-in, data in ${settings.DATA_DIR}/cosmos)`}`,
  );
  log(`Dashboard        : ${stack.httpUrl}/ui/   (sign in with the service connection string)`);
  log(`Device endpoint  : ${stack.httpsUrl}/devices/{id}/messages/events`);
  log(
    `MQTT endpoint    : mqtts://localhost:${stack.mqttPort}, wss://localhost:${stack.mqttWsPort}/$iothub/websocket   (its own process)`,
  );
  log(
    `Event Hubs       : hubs '${settings.LIVENESS_EVENTHUB_NAME}' and '${settings.ALERTS_EVENTHUB_NAME}'${settings.EVENTHUB_CONNECTION ? '' : `   (embedded stand-in, data in ${settings.DATA_DIR}/eventhubs)`}`,
  );
  if (!settings.EVENTHUB_CONNECTION) log(`Consumer groups  : ${consumerGroupsLine(settings)}`);
  log(
    `Liveness         : sweep on '${settings.LIVENESS_SWEEP_SCHEDULE}', events from Event Hub '${settings.LIVENESS_EVENTHUB_NAME}'`,
  );
  log(
    `Event Grid       : ${stack.httpUrl}/runtime/webhooks/eventgrid?functionName=livenessEventGrid&code=${stack.eventGridKey}`,
  );
  log(
    `Pipeline         : lifecycle relay and Event Hubs consumers ${settings.LOCAL_PIPELINE === 'process' ? 'in a process of their own' : "in the host's process"} (LOCAL_PIPELINE)`,
  );
  log(
    `Jobs             : queue '${settings.JOBS_QUEUE_NAME}', up to ${settings.JOBS_MAX_CONCURRENT} at once`,
  );
  log(`Service connection string: ${stack.serviceConnectionString}`);
  log(`Storage connection string: ${stack.storageConnectionString}`);
  if (
    !settings.STORAGE_CONNECTION_STRING &&
    settings.AZURITE_BLOB_PORT === 10000 &&
    settings.AZURITE_QUEUE_PORT === 10001 &&
    settings.AZURITE_TABLE_PORT === 10002
  )
    log(
      '                           (or UseDevelopmentStorage=true: Azurite is on its usual ports)',
    );
  log(`Event Hubs connection string: ${stack.eventHubConnectionString}`);
  // The SDKs and Microsoft's samples dial HostName on 443 and must trust the certificate.
  const certificate = resolve(settings.DATA_DIR, 'tls', 'cert.pem');
  if (stack.httpsPort === 443) {
    log(`For Microsoft's samples and the SDKs, as they are:`);
    log(`  export NODE_EXTRA_CA_CERTS=${certificate}`);
    log(`  export IOTHUB_CONNECTION_STRING='${stack.serviceConnectionString}'`);
  } else {
    log(
      `Microsoft's samples and the SDKs dial port 443: start with HTTPS_PORT=443 to run them unchanged (README, "Run Microsoft's samples")`,
    );
  }
  log('Press Ctrl-C to stop.');

  // Ctrl-C in a terminal signals the whole process group; the stand-ins ignore SIGINT and are
  // stopped here once the host's own work is done. A second signal does not wait.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log(`${signal} again: stopping now, without waiting`);
      stack.kill();
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: stopping (press Ctrl-C again to stop at once)`);
    // Every step of stop() has its deadline; this one is for whatever a step left running.
    setTimeout(() => {
      log('Stopping took over 10 s: stopping now');
      stack.kill();
      process.exit(1);
    }, 10_000).unref();
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
