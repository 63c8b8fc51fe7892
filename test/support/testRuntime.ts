import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { parseSettings } from '../../src/config/Settings';
import {
  createRegistryServices,
  type RegistryRuntime,
} from '../../src/composition/createRegistryServices';
import { routes } from '../../src/http/routes';
import { close, listen } from '../../src/local/listen';
import { LocalFunctionHost } from '../../src/local/LocalFunctionHost';
import { silentLogger } from '../../src/ports/Logger';
import { consoleLogger } from '../../src/local/consoleLogger';

export interface TestRuntime {
  url: string;
  runtime: RegistryRuntime;
  clock: { now(): Date; set(iso: string): void };
  stop(): Promise<void>;
}

/**
 * A runtime built by the real composition root, in the test process, against the shared
 * stand-ins but with its own container and table, a controlled clock, and its own local host.
 */
export async function startTestRuntime(
  settings: Record<string, string> = {},
): Promise<TestRuntime> {
  const stack = inject('stack');
  const suffix = randomUUID().replace(/-/g, '').slice(0, 16);
  let now = new Date('2026-01-01T00:00:00.000Z');
  const clock = { now: () => now, set: (iso: string) => void (now = new Date(iso)) };
  const logger = { ...silentLogger, error: (m: string, e?: unknown) => consoleLogger.error(m, e) };
  const runtime = await createRegistryServices({
    settings: parseSettings({
      COSMOS_ENDPOINT: stack.cosmosEndpoint,
      COSMOS_KEY: stack.cosmosKey,
      COSMOS_CONTAINER: `ids${suffix}`,
      STORAGE_CONNECTION_STRING: stack.storageConnectionString,
      LIVENESS_TABLE: `live${suffix}`,
      LIVENESS_PARTITIONS: '4',
      ...settings,
    }),
    policies: new Map(stack.policies.map((p) => [p.keyName, p])),
    logger,
    clock,
  });
  const host = new LocalFunctionHost(
    routes(() => Promise.resolve(runtime.services)),
    logger,
  );
  const server = createServer(host.listener);
  const port = await listen(server, 0, '127.0.0.1', 'test host');
  return {
    url: `http://localhost:${port}`,
    runtime,
    clock,
    stop: async () => {
      await close(server);
      await runtime.close();
    },
  };
}
