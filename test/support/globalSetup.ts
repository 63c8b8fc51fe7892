import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { parseSettings } from '../../src/config/Settings';
import { startLocalStack } from '../../src/local/startLocalStack';
import { consoleLogger } from '../../src/local/consoleLogger';
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
}

const ROOT = resolve(__dirname, '../..');

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ProvidedStack;
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
  const settings = parseSettings({
    PORT: '0',
    HTTPS_PORT: '0',
    EVENTHUB_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
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
  });
  return async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
