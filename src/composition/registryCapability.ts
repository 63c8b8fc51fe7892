import { CosmosCaCertificateStore } from '../adapters/cosmos/CosmosCaCertificateStore';
import type { ContinuationSeal } from '../adapters/cosmos/ContinuationSeal';
import { CosmosRegistryStore } from '../adapters/cosmos/CosmosRegistryStore';
import { CosmosTwinQueryStore } from '../adapters/cosmos/CosmosTwinQueryStore';
import type { OutboxCommits } from '../adapters/cosmos/OutboxCommits';
import { BulkRegistry } from '../application/BulkRegistry';
import { CaCertificates } from '../application/CaCertificates';
import { DeviceAuthenticator } from '../application/device/DeviceAuthenticator';
import { DeviceCredentials } from '../application/device/DeviceCredentials';
import { DeviceRegistry } from '../application/DeviceRegistry';
import { ModuleRegistry } from '../application/ModuleRegistry';
import type { RegistryDeps } from '../application/RegistryDeps';
import { TwinQueryService } from '../application/TwinQueryService';
import { TwinRegistry } from '../application/TwinRegistry';
import { hubHostName } from '../config/hubHostName';
import type { Platform } from './Platform';

/**
 * The identity registry: devices, modules, twins, queries, CA certificates, and the
 * credential cache and authenticator the device-facing endpoints share.
 */
export function registryCapability(
  platform: Platform,
  options: { seal: ContinuationSeal; outboxCommits: OutboxCommits },
) {
  const { settings, policies, clock, logger, container, guard } = platform;
  const registryStore = guard.cosmos(
    new CosmosRegistryStore(container, options.seal, options.outboxCommits),
  );
  const twinQueries = guard.cosmos(
    new CosmosTwinQueryStore(container, options.seal, settings.QUERY_TIMEOUT_SECONDS),
  );
  const hostName = hubHostName(settings);
  const hubName = settings.HUB_NAME ?? settings.IOTHUB_HOST_NAME?.split('.')[0] ?? 'localhost';
  const credentials = new DeviceCredentials(
    registryStore,
    clock,
    settings.DEVICE_CREDENTIAL_CACHE_SECONDS * 1000,
  );
  const certificates = new CaCertificates(
    guard.cosmos(new CosmosCaCertificateStore(container)),
    clock,
    settings.DEVICE_CREDENTIAL_CACHE_SECONDS * 1000,
  );
  const deviceAuthenticator = new DeviceAuthenticator(credentials, policies, [hostName], () =>
    certificates.verified(),
  );
  const deps: RegistryDeps = {
    store: registryStore,
    clock,
    logger,
    hubName,
    maxModulesPerDevice: settings.MAX_MODULES_PER_DEVICE,
    observer: credentials,
  };
  const devices = new DeviceRegistry(deps);
  const modules = new ModuleRegistry(deps);
  return {
    registryStore,
    twinQueries,
    deps,
    hostName,
    hubName,
    credentials,
    deviceAuthenticator,
    certificates,
    devices,
    modules,
    twins: new TwinRegistry(deps),
    queries: new TwinQueryService(twinQueries),
    bulk: new BulkRegistry(devices, modules, logger),
  };
}
