import { CosmosClient } from '@azure/cosmos';
import { CollectingLifecyclePublisher } from '../adapters/events/CollectingLifecyclePublisher';
import { CosmosRegistryStore } from '../adapters/cosmos/CosmosRegistryStore';
import { ContinuationSeal } from '../adapters/cosmos/ContinuationSeal';
import { ensureCosmosContainer } from '../adapters/cosmos/ensureCosmosContainer';
import { createHash } from 'node:crypto';
import { BulkRegistry } from '../application/BulkRegistry';
import { DeviceRegistry } from '../application/DeviceRegistry';
import { ModuleRegistry } from '../application/ModuleRegistry';
import type { RegistryDeps } from '../application/RegistryDeps';
import type { SharedAccessPolicy } from '../domain/auth/SharedAccessPolicy';
import type { Settings } from '../config/Settings';
import { systemClock, type Clock } from '../ports/Clock';
import type { LifecyclePublisher } from '../ports/LifecyclePublisher';
import type { Logger } from '../ports/Logger';
import type { RegistryServices } from './RegistryServices';

export interface RegistryEnvironment {
  settings: Settings;
  policies: ReadonlyMap<string, SharedAccessPolicy>;
  logger: Logger;
  publisher?: LifecyclePublisher;
  clock?: Clock;
}

export interface RegistryRuntime {
  services: RegistryServices;
  publisher: LifecyclePublisher;
  cosmos: CosmosClient;
  close(): Promise<void>;
}

/** A sealing key shared by every instance of the app, derived from (not equal to) the account key. */
const continuationSeal = (accountKey: string) =>
  new ContinuationSeal(createHash('sha256').update(`continuation-token:${accountKey}`).digest());

/** The composition root: SDK clients and adapters are chosen and built here, once per process. */
export async function createRegistryServices(env: RegistryEnvironment): Promise<RegistryRuntime> {
  const { settings, policies, logger } = env;
  if (!settings.COSMOS_ENDPOINT || !settings.COSMOS_KEY) {
    throw new Error(
      'COSMOS_ENDPOINT and COSMOS_KEY must be set (npm start provides an embedded stand-in when both are absent)',
    );
  }
  const insecure = settings.COSMOS_ENDPOINT.startsWith('http:');
  const cosmos = new CosmosClient({
    endpoint: settings.COSMOS_ENDPOINT,
    key: settings.COSMOS_KEY,
    // The stand-in (plain HTTP) has a single endpoint and no account metadata to discover.
    connectionPolicy: { enableEndpointDiscovery: !insecure },
  });
  const container = await ensureCosmosContainer(
    cosmos,
    settings.COSMOS_DATABASE,
    settings.COSMOS_CONTAINER,
  );
  const publisher = env.publisher ?? new CollectingLifecyclePublisher();
  const clock = env.clock ?? systemClock;
  const hostName = settings.IOTHUB_HOST_NAME;
  const deps: RegistryDeps = {
    store: new CosmosRegistryStore(container, continuationSeal(settings.COSMOS_KEY)),
    publisher,
    clock,
    logger,
    hubName: settings.HUB_NAME ?? hostName?.split('.')[0] ?? 'localhost',
    maxModulesPerDevice: settings.MAX_MODULES_PER_DEVICE,
  };
  const devices = new DeviceRegistry(deps);
  const modules = new ModuleRegistry(deps);
  return {
    services: {
      devices,
      modules,
      bulk: new BulkRegistry(devices, modules, logger),
      policies,
      clock,
      hostNames: hostName ? [hostName] : [],
    },
    publisher,
    cosmos,
    close: () => {
      cosmos.dispose();
      return Promise.resolve();
    },
  };
}
