import { mkdtemp, rm } from 'node:fs/promises';
import { FREE_PORTS } from './freePorts';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { parseSettings } from '../../src/config/Settings';
import { startLocalStack } from '../../local/startLocalStack';
import { startAzurite } from '../../local/startAzurite';
import { allowListEntry } from '../../src/adapters/blob/ownBlobEndpoint';
import { DEFAULT_STORAGE_HOSTS } from '../../src/domain/jobs/StorageAllowList';
import { consoleLogger } from '../../src/adapters/logging/consoleLogger';
import { silentLogger } from '../../src/ports/Logger';
import type { SharedAccessPolicy } from '../../src/domain/auth/SharedAccessPolicy';

export interface ProvidedStack {
  httpUrl: string;
  httpsPort: number;
  certificate: string;
  serviceConnectionString: string;
  storageConnectionString: string;
  cosmosEndpoint: string;
  cosmosKey: string;
  cosmosDatabase: string;
  cosmosContainer: string;
  policies: SharedAccessPolicy[];
  /** Removed after the run: test runtimes keep their Event Hubs stand-ins' data here. */
  dataDir: string;
  /** The customers' storage account that jobs read and write (not the service's own). */
  customerStorageConnectionString: string;
  /** Its allow-list entry (`http://127.0.0.1:<port>`). */
  customerBlobHost: string;
}

const ROOT = resolve(__dirname, '../..');

/** What the contract suites need: the stand-ins their real adapters run on. */
export interface ProvidedStandIns {
  cosmosEndpoint: string;
  cosmosKey: string;
  storageConnectionString: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
    standIns: ProvidedStandIns;
  }
}

/** Starts the same stack `npm start` runs, on free 127.0.0.1 ports, and stops it after the run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The stand-ins run as processes of their own, from the build (as `npm start` runs them).
  await promisify(execFile)(process.execPath, [
    join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(ROOT, 'tsconfig.build.json'),
  ]);
  const dataDir = await mkdtemp(join(tmpdir(), 'registry-test-'));
  // The customers' storage, a second Azurite: in the service's own account, jobs may use only
  // the containers named for them (JOBS_OWN_ACCOUNT_CONTAINERS).
  const customerStorage = await startAzurite({ inMemory: true });
  const customerBlobHost = allowListEntry(customerStorage.blobEndpoint);
  const settings = parseSettings({
    ...FREE_PORTS,
    DATA_DIR: dataDir,
    JOBS_ALLOWED_STORAGE_HOSTS: `${DEFAULT_STORAGE_HOSTS},${customerBlobHost}`,
    // Test files run side by side against this one stack, each creating jobs; IoT Hub's one
    // active job (the default) is tested on runtimes of their own (jobQuota.test.ts).
    JOBS_MAX_ACTIVE: '1000',
  });
  const stack = await startLocalStack({
    settings,
    logger: { ...silentLogger, error: (m, e) => consoleLogger.error(m, e) },
    inMemoryStorage: true,
  });
  project.provide('stack', {
    httpUrl: stack.httpUrl,
    httpsPort: stack.httpsPort,
    certificate: stack.certificate,
    serviceConnectionString: stack.serviceConnectionString,
    storageConnectionString: stack.storageConnectionString,
    cosmosEndpoint: stack.cosmosEndpoint,
    cosmosKey: stack.cosmosKey,
    cosmosDatabase: settings.COSMOS_DATABASE,
    cosmosContainer: settings.COSMOS_CONTAINER,
    policies: [...stack.policies.values()],
    dataDir,
    customerStorageConnectionString: customerStorage.connectionString,
    customerBlobHost,
  });
  project.provide('standIns', {
    cosmosEndpoint: stack.cosmosEndpoint,
    cosmosKey: stack.cosmosKey,
    storageConnectionString: stack.storageConnectionString,
  });
  return async () => {
    await stack.stop();
    await customerStorage.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
