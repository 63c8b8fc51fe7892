import { parsePolicies } from '../adapters/policies/parsePolicies';
import { parseSettings } from '../config/Settings';
import { createRegistryServices } from './createRegistryServices';
import { jsonLogger } from '../adapters/logging/jsonLogger';
import { hostBlobEndpoint } from '../adapters/blob/ownBlobEndpoint';
import type { RegistryServices } from '../http/RegistryServices';

let services: Promise<RegistryServices> | undefined;

/**
 * The services of a Functions host (Azure or Core Tools): settings from app settings, built
 * on the first invocation and shared by every later one in the process.
 */
export function servicesFromEnvironment(): Promise<RegistryServices> {
  services ??= (async () => {
    // Functions apps already have a storage account: use it unless another is named.
    const settings = parseSettings({
      STORAGE_CONNECTION_STRING: process.env.AzureWebJobsStorage,
      STORAGE_CONNECTION_STRING__accountName: process.env.AzureWebJobsStorage__accountName,
      STORAGE_CONNECTION_STRING__clientId: process.env.AzureWebJobsStorage__clientId,
      ...process.env,
    });
    if (!settings.SHARED_ACCESS_POLICIES)
      throw new Error('SHARED_ACCESS_POLICIES must be set in the app settings');
    const policies = parsePolicies(settings.SHARED_ACCESS_POLICIES, 'SHARED_ACCESS_POLICIES');
    // Structured: one JSON object per line, with the request's operation id.
    const logger = jsonLogger();
    const hostStorage = hostBlobEndpoint(process.env);
    return (await createRegistryServices({ settings, policies, logger, hostStorage })).services;
  })().catch((error: unknown) => {
    services = undefined; // let the next invocation retry a failed start-up
    throw error;
  });
  return services;
}
