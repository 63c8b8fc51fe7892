import { CosmosClient, type Container } from '@azure/cosmos';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ensureCosmosContainer } from '../../src/adapters/cosmos/ensureCosmosContainer';

let client: CosmosClient | undefined;

/** A fresh, empty identities container on the embedded Cosmos stand-in. */
export async function freshCosmosContainer(): Promise<Container> {
  const { cosmosEndpoint, cosmosKey } = inject('standIns');
  client ??= new CosmosClient({
    endpoint: cosmosEndpoint,
    key: cosmosKey,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  return ensureCosmosContainer(client, 'contract-tests', `c${randomUUID().replace(/-/g, '')}`);
}
