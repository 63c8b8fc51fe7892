import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jsonLogger } from '../adapters/logging/jsonLogger';
import { parsePolicies } from '../adapters/policies/parsePolicies';
import { createRegistryServices } from '../composition/createRegistryServices';
import { parseSettings } from '../config/Settings';
import { consoleLogger } from '../adapters/logging/consoleLogger';
import { createMqttEndpoint } from './createMqttEndpoint';

/** A clean stop records every session's end; past this it exits anyway (npm start allows 10 s). */
const STOP_DEADLINE_MS = 2_000;

/**
 * The MQTT device endpoint's process: `node dist/src/mqtt/main.js`, settings from the
 * environment (SHARED_ACCESS_POLICIES included). Functions cannot hold sockets, so it runs
 * beside the Function App (a container in Azure; a child of `npm start` locally, which it
 * tells its ports over IPC). It exits on SIGTERM after closing its sessions, and when the
 * parent that started it goes away.
 */
async function main(): Promise<void> {
  const settings = parseSettings(process.env);
  if (!settings.SHARED_ACCESS_POLICIES) throw new Error('SHARED_ACCESS_POLICIES must be set');
  const policies = parsePolicies(settings.SHARED_ACCESS_POLICIES, 'SHARED_ACCESS_POLICIES');
  const child = typeof process.send === 'function';
  const logger = child ? consoleLogger : jsonLogger();
  const [cert, key] = await Promise.all([
    readFile(settings.MQTT_TLS_CERT_FILE ?? join(settings.DATA_DIR, 'tls', 'cert.pem'), 'utf8'),
    readFile(settings.MQTT_TLS_KEY_FILE ?? join(settings.DATA_DIR, 'tls', 'key.pem'), 'utf8'),
  ]);
  const runtime = await createRegistryServices({ settings, policies, logger });
  const endpoint = await createMqttEndpoint(runtime, settings, logger, { tls: { cert, key } });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), STOP_DEADLINE_MS + 1_000).unref();
    void endpoint
      .stop(STOP_DEADLINE_MS)
      .then(() => runtime.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  if (child) {
    // Ctrl-C reaches the whole process group: the parent stops this process after its own work.
    process.on('SIGINT', () => undefined);
    process.on('disconnect', stop);
    process.send?.({
      type: 'listening',
      port: endpoint.port,
      ports: { mqtt: endpoint.port, ws: endpoint.wsPort ?? 0 },
    });
  } else {
    process.on('SIGINT', stop);
    logger.info(
      `MQTT endpoint: mqtts on ${endpoint.port}, wss on ${endpoint.wsPort ?? '-'} (instance ${endpoint.instanceId})`,
    );
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (process.send && process.connected)
    process.send({ type: 'error', message }, () => process.exit(1));
  else {
    console.error(`The MQTT endpoint could not start: ${message}`);
    process.exit(1);
  }
});
