import { Agent } from 'node:https';
import type { Socket } from 'node:net';
import { Registry } from 'azure-iothub';
import { inject } from 'vitest';

/**
 * The official SDK's Registry, exactly as a user's script builds it, reaching the local HTTPS
 * host: the SDK always dials port 443, so the agent rewrites the port (CONTRACT.md,
 * "Reaching a local server") and the self-signed certificate is trusted through `ca`.
 */
export function sdkRegistry(connectionString = inject('stack').serviceConnectionString): Registry {
  const { httpsPort, certificate } = inject('stack');
  const agent = new Agent({ keepAlive: true });
  const createConnection = agent.createConnection.bind(agent) as (
    o: object,
    cb?: unknown,
  ) => Socket;
  (agent as unknown as { createConnection: typeof createConnection }).createConnection = (
    options,
    callback,
  ) => createConnection({ ...options, port: httpsPort }, callback);
  const registry = Registry.fromConnectionString(connectionString);
  (
    registry as unknown as { _restApiClient: { setOptions(o: object): void } }
  )._restApiClient.setOptions({
    http: { agent },
    ca: certificate,
  });
  return registry;
}
