import type { Container, CosmosClient } from '@azure/cosmos';

/** Creates the database and the identities container if missing (idempotent at every start). */
export async function ensureCosmosContainer(
  client: CosmosClient,
  databaseId: string,
  containerId: string,
): Promise<Container> {
  const { database } = await client.databases.createIfNotExists({ id: databaseId });
  const { container } = await database.containers.createIfNotExists({
    id: containerId,
    partitionKey: { paths: ['/deviceId'] },
  });
  return container;
}
