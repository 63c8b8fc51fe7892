import type { Container, CosmosClient } from '@azure/cosmos';

/** Creates the database and a container (by default the identities one) if missing (idempotent at every start). */
export async function ensureCosmosContainer(
  client: CosmosClient,
  databaseId: string,
  containerId: string,
  partitionKeyPath = '/deviceId',
): Promise<Container> {
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  const { container } = await database.containers.createIfNotExists({
    id: containerId,
    partitionKey: { paths: [partitionKeyPath] },
    // TTL on, no default: only items that carry a `ttl` expire (a deleted device's ledger).
    defaultTtl: -1,
  });
  return container;
}
