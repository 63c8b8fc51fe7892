import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHubConsumerClient, earliestEventPosition } from '@azure/event-hubs';
import { Client, Message } from 'azure-iot-device';
import { Mqtt, MqttWs } from 'azure-iot-device-mqtt';
import { parseSettings } from '../../src/config/Settings';
import type { DeviceInput } from '../../src/domain/identity/DeviceIdentity';
import { loadOrCreateCertificate } from '../../local/loadOrCreateCertificate';
import { createMqttEndpoint, type RunningMqttEndpoint } from '../../src/mqtt/createMqttEndpoint';
import { silentLogger } from '../../src/ports/Logger';
import { consoleLogger } from '../../src/adapters/logging/consoleLogger';
import { localAgent } from './sdkDeviceClient';
import { startTestRuntime, type TestRuntime } from './testRuntime';

export interface MqttTestStack {
  rt: TestRuntime;
  endpoint: RunningMqttEndpoint;
  cert: string;
  key: string;
  /** Starts another endpoint instance on the same stores (a second process, in effect). */
  another(instanceId: string): Promise<RunningMqttEndpoint>;
  /** Registers a device through the registry API; returns its primary key. */
  register(deviceId: string, body?: DeviceInput): Promise<string>;
  /** The connection state events on the hub for a device, in hub order. */
  connectionEvents(deviceId: string): Promise<ConnectionEvent[]>;
  stop(): Promise<void>;
}

export interface ConnectionEvent {
  opType: string;
  sequenceNumber: string;
  messageId: string;
  moduleId?: string;
  properties: Record<string, unknown>;
}

const logger = { ...silentLogger, error: (m: string, e?: unknown) => consoleLogger.error(m, e) };

/**
 * A test runtime (its own container, hub and relay; the system clock) with the MQTT endpoint
 * composed over it in this process, on free ports of 127.0.0.1, serving a fresh certificate.
 */
export async function startMqttTestStack(
  settings: Record<string, string> = {},
): Promise<MqttTestStack> {
  const rt = await startTestRuntime(settings, { systemClock: true });
  const { key, cert } = await loadOrCreateCertificate(await mkdtemp(join(tmpdir(), 'mqtt-tls-')));
  const parsed = (instanceId: string) =>
    parseSettings({
      ...rt.settings,
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      MQTT_METHODS_PORT: '0',
      HOST: '127.0.0.1',
      MQTT_INSTANCE_ID: instanceId,
    });
  const extra: RunningMqttEndpoint[] = [];
  const endpoint = await createMqttEndpoint(rt.runtime, parsed('test-a'), logger, {
    tls: { key, cert },
  });
  // A group of its own: the liveness ingest holds $Default with an owner level.
  const consumer = new EventHubConsumerClient(
    'observer',
    rt.settings.EVENTHUB_CONNECTION!,
    'telemetry',
  );
  return {
    rt,
    endpoint,
    cert,
    key,
    another: async (instanceId) => {
      const e = await createMqttEndpoint(rt.runtime, parsed(instanceId), logger, {
        tls: { key, cert },
      });
      extra.push(e);
      return e;
    },
    register: async (deviceId, body = {}) => {
      const device = await rt.runtime.services.devices.create(deviceId, body);
      return device.authentication.type === 'sas'
        ? (device.authentication.symmetricKey.primaryKey ?? '')
        : '';
    },
    connectionEvents: (deviceId) => readConnectionEvents(consumer, deviceId),
    stop: async () => {
      for (const e of extra) await e.stop().catch(() => undefined);
      await endpoint.stop().catch(() => undefined);
      await consumer.close();
      await rt.stop();
    },
  };
}

/** Every event on the hub so far (all partitions, from the start), filtered to one device. */
async function readConnectionEvents(
  consumer: EventHubConsumerClient,
  deviceId: string,
): Promise<ConnectionEvent[]> {
  const ids = await consumer.getPartitionIds();
  const out: ConnectionEvent[] = [];
  for (const id of ids) {
    const props = await consumer.getPartitionProperties(id);
    if (props.isEmpty) continue;
    const wanted = props.lastEnqueuedSequenceNumber;
    await new Promise<void>((resolve, reject) => {
      const sub = consumer.subscribe(
        id,
        {
          processEvents: async (events) => {
            for (const e of events) {
              const p = e.properties ?? {};
              if (
                p['iothub-message-source'] === 'deviceConnectionStateEvents' &&
                p.deviceId === deviceId
              )
                out.push({
                  opType: String(p.opType),
                  sequenceNumber: String((e.body as { sequenceNumber?: string }).sequenceNumber),
                  messageId: String(e.messageId),
                  ...(p.moduleId ? { moduleId: String(p.moduleId) } : {}),
                  properties: p,
                });
              if (e.sequenceNumber >= wanted) {
                await sub.close();
                resolve();
                return;
              }
            }
          },
          processError: async (error) => {
            await sub.close();
            reject(error);
          },
        },
        { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 0.2 },
      );
    });
  }
  // Hub order per partition; a device's events share one partition.
  return out;
}

/** The official SDK over MQTT (TLS), reaching the endpoint's port as a gateway host name. */
export async function mqttDeviceClient(
  stack: MqttTestStack,
  deviceId: string,
  key: string,
  { moduleId, port = stack.endpoint.port }: { moduleId?: string; port?: number } = {},
): Promise<Client> {
  const client = Client.fromConnectionString(
    `HostName=localhost;DeviceId=${deviceId};${moduleId ? `ModuleId=${moduleId};` : ''}SharedAccessKey=${key};GatewayHostName=localhost:${port}`,
    Mqtt,
  );
  await client.setOptions({ ca: stack.cert, keepalive: 10 });
  return client;
}

/** The official SDK over MQTT over WebSockets (it dials 443: the agent dials the endpoint's port). */
export async function mqttWsDeviceClient(
  stack: MqttTestStack,
  deviceId: string,
  key: string,
): Promise<Client> {
  const client = Client.fromConnectionString(
    `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${key}`,
    MqttWs,
  );
  const agent = localAgent(stack.endpoint.wsPort!);
  (agent.options as { ca?: string }).ca = stack.cert;
  await client.setOptions({ ca: stack.cert, mqtt: { webSocketAgent: agent } });
  return client;
}

export const heartbeat = (): Message => {
  const m = new Message('{"beat":1}');
  m.properties.add('messageType', 'heartbeat');
  m.properties.add('intervalSeconds', '30');
  m.messageId = 'mid-1';
  m.contentType = 'application/json';
  m.contentEncoding = 'utf-8';
  return m;
};
