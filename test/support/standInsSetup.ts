import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../local/startAzurite';
import { startCosmosStandIn } from '../../standins/cosmos/startCosmosStandIn';

const ROOT = resolve(__dirname, '../..');

/**
 * `npm run test:fast`'s setup: only the stand-ins the contract suites run their real adapters
 * on (the Cosmos DB stand-in and Azurite, in memory), built alone, with no host.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await promisify(execFile)(process.execPath, [
    join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(ROOT, 'tsconfig.standins.json'),
  ]);
  const [cosmos, azurite] = await Promise.all([
    startCosmosStandIn(),
    startAzurite({ inMemory: true }),
  ]);
  project.provide('standIns', {
    cosmosEndpoint: cosmos.endpoint,
    cosmosKey: cosmos.key,
    storageConnectionString: azurite.connectionString,
  });
  return async () => {
    await Promise.all([cosmos.stop(), azurite.stop()]);
  };
}
