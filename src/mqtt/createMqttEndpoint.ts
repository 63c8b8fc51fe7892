import { hostname } from 'node:os';
import { CosmosSessionStore } from '../adapters/cosmos/CosmosSessionStore';
import { EventHubIdentityEventFeed } from '../adapters/eventhubs/EventHubIdentityEventFeed';
import { DeviceTwins } from '../application/device/DeviceTwins';
import { ConnectionStates } from '../application/connection/ConnectionStates';
import { LiveSessions } from '../application/connection/LiveSessions';
import { consumerClient } from '../composition/clientsFor';
import type { RegistryRuntime } from '../composition/createRegistryServices';
import { guardDependency } from '../composition/guardDependency';
import { resolveConnections } from '../composition/resolveConnections';
import type { Settings } from '../config/Settings';
import type { IdentityEventFeed } from '../ports/IdentityEventFeed';
import type { Logger } from '../ports/Logger';
import { MethodCalls } from './MethodCalls';
import { methodsAddress } from './methodsAddress';
import { MethodsListener } from './MethodsListener';
import { MqttEndpoint } from './MqttEndpoint';

export interface RunningMqttEndpoint {
  port: number;
  wsPort: number | null;
  instanceId: string;
  /** Sessions the store showed open through this instance at start (left by a crash), now closed. */
  orphansClosed: number;
  sessions: LiveSessions;
  endpoint: MqttEndpoint;
  /** Where it takes direct method calls (recorded with each session). */
  methodsUrl: string;
  /** Stops listening, closes every session and records their ends (within `ms`). */
  stop(ms?: number): Promise<void>;
}

export interface MqttEndpointOptions {
  tls: { key: string; cert: string };
  /** Default: the settings' MQTT_PORT / MQTT_WS_PORT on HOST. */
  host?: string;
  /** Without: no feed of identity events (tests, benchmarks), periodic checks only. */
  events?: 'eventHubs' | 'none';
}

/**
 * The MQTT device endpoint's capability over a registry runtime (the same composition root the
 * Functions host uses): its session store and connection states in the identity container, its
 * consumer of identity events, and the endpoint. Sessions a crash left open are closed first.
 */
export async function createMqttEndpoint(
  runtime: RegistryRuntime,
  settings: Settings,
  logger: Logger,
  options: MqttEndpointOptions,
): Promise<RunningMqttEndpoint> {
  const { services } = runtime;
  const instanceId = settings.MQTT_INSTANCE_ID ?? hostname();
  const host = options.host ?? settings.HOST;
  // Calls name sessions of the endpoint built below: none exists before it listens.
  const calls = new MethodCalls((ref, message, filter) => mqtt.deliver(ref, message, filter));
  const methods = new MethodsListener({
    calls,
    policies: services.policies,
    hostNames: services.hostNames,
    clock: services.clock,
    logger,
  });
  const methodsUrl = methodsAddress(
    settings.MQTT_METHODS_URL,
    host,
    await methods.listen(settings.MQTT_METHODS_PORT, host),
  );
  const states = new ConnectionStates({
    sessions: guardDependency(
      new CosmosSessionStore(runtime.identities),
      'cosmos',
      services.dependencies,
    ),
    registry: runtime.registryStore,
    clock: services.clock,
    hubName: runtime.hubName,
    owner: instanceId,
    methodsUrl,
  });
  const orphansClosed = await states.closeOrphans();
  if (orphansClosed > 0)
    logger.info(`MQTT: closed ${orphansClosed} session(s) left open by this instance's last run`);
  const sessions = new LiveSessions(
    runtime.deviceAuthenticator,
    states,
    runtime.credentials,
    services.clock,
    logger,
    {
      checkIntervalMs: settings.MQTT_SESSION_CHECK_SECONDS * 1000,
      checksPerSecond: settings.MQTT_SESSION_CHECKS_PER_SECOND,
    },
  );
  const mqtt = new MqttEndpoint({
    authenticator: runtime.deviceAuthenticator,
    ingress: services.deviceIngress,
    twins: new DeviceTwins(services.twins),
    sessions,
    methodAnswered: (ref, rid, status, payload) => calls.answered(ref, rid, status, payload),
    hostNames: services.hostNames,
    clock: services.clock,
    logger,
  });
  let feed: IdentityEventFeed | null = null;
  const hubs = resolveConnections(settings).eventHubs;
  if (options.events !== 'none' && hubs) {
    feed = new EventHubIdentityEventFeed(
      consumerClient(hubs, settings.MQTT_CONSUMER_GROUP, settings.LIVENESS_EVENTHUB_NAME),
      logger,
    );
    feed.start((event) => {
      if (event.kind === 'lifecycle')
        sessions.identityChanged(event.ref.deviceId, event.ref.moduleId);
      else if (event.kind === 'connectionState') sessions.sessionChanged(event.ref);
      // Every instance reads every event: the one holding the session delivers it.
      else mqtt.pushDesired(event.ref, event.patch);
    });
  }
  await mqtt.listen({
    ...options.tls,
    host,
    port: settings.MQTT_PORT,
    wsPort: settings.MQTT_WS_PORT,
    maxConnections: settings.MQTT_MAX_CONNECTIONS,
  });
  sessions.start();
  return {
    port: mqtt.port,
    wsPort: mqtt.wsPort,
    instanceId,
    orphansClosed,
    sessions,
    endpoint: mqtt,
    methodsUrl,
    stop: async (ms = 5_000) => {
      calls.close();
      await methods.close();
      await mqtt.close();
      await sessions.stop(ms);
      await feed?.close().catch(() => undefined);
    },
  };
}
