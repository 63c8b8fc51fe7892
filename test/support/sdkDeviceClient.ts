import { Agent } from 'node:https';
import type { Socket } from 'node:net';
import { Client, ModuleClient } from 'azure-iot-device';
import { Http } from 'azure-iot-device-http';
import { inject } from 'vitest';

/** An https.Agent that dials the local HTTPS port whatever port the SDK asks for (always 443). */
export function localAgent(port = inject('stack').httpsPort): Agent {
  const agent = new Agent({ keepAlive: true });
  const connect = agent.createConnection.bind(agent) as (o: object, cb?: unknown) => Socket;
  (agent as unknown as { createConnection: typeof connect }).createConnection = (
    options,
    callback,
  ) => connect({ ...options, port }, callback);
  return agent;
}

/**
 * The official device SDK with its HTTP transport, exactly as a device app builds it. (The
 * transport only calls back from setOptions when a receive policy is among the options.)
 */
export async function sdkDeviceClient(
  connectionString: string,
  x509?: { cert: string; key: string },
): Promise<Client> {
  const client = Client.fromConnectionString(connectionString, Http);
  await client.setOptions({
    http: { agent: localAgent(), receivePolicy: { manualPolling: true } },
    ca: inject('stack').certificate,
    ...(x509 ?? {}),
  });
  return client;
}

export async function sdkModuleClient(connectionString: string): Promise<ModuleClient> {
  const client = ModuleClient.fromConnectionString(connectionString, Http);
  await client.setOptions({
    http: { agent: localAgent(), receivePolicy: { manualPolling: true } },
    ca: inject('stack').certificate,
  });
  return client;
}

/** Polls until `check` holds or the deadline passes; returns the last value. */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    value = await probe();
  }
  return value;
}
