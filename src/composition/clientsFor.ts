import { CosmosClient } from '@azure/cosmos';
import { TableClient } from '@azure/data-tables';
import { EventHubConsumerClient, EventHubProducerClient } from '@azure/event-hubs';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { QueueServiceClient } from '@azure/storage-queue';
import type {
  CosmosConnection,
  EventHubsConnection,
  IdentityChoice,
  StorageConnection,
} from './resolveConnections';

/** The managed identity (or, on a developer's machine, the signed-in account). */
export const credentialFor = (identity: IdentityChoice): TokenCredential =>
  new DefaultAzureCredential(
    identity.clientId ? { managedIdentityClientId: identity.clientId } : {},
  );

export function cosmosClient(c: CosmosConnection): CosmosClient {
  // The stand-in (plain HTTP) has a single endpoint and no account metadata to discover.
  const connectionPolicy = { enableEndpointDiscovery: !c.endpoint.startsWith('http:') };
  return 'key' in c
    ? new CosmosClient({ endpoint: c.endpoint, key: c.key, connectionPolicy })
    : new CosmosClient({
        endpoint: c.endpoint,
        aadCredentials: credentialFor(c.identity),
        connectionPolicy,
      });
}

export function storageClients(c: StorageConnection): {
  queues: QueueServiceClient;
  table(name: string): TableClient;
} {
  if ('connectionString' in c) {
    const insecure =
      c.connectionString.includes('http://') ||
      c.connectionString.includes('UseDevelopmentStorage=true');
    return {
      queues: QueueServiceClient.fromConnectionString(c.connectionString),
      table: (name) =>
        TableClient.fromConnectionString(c.connectionString, name, {
          allowInsecureConnection: insecure,
        }),
    };
  }
  const credential = credentialFor(c.identity);
  return {
    queues: new QueueServiceClient(c.queueUri, credential),
    table: (name) => new TableClient(c.tableUri, name, credential),
  };
}

export const producerClient = (c: EventHubsConnection, hub: string): EventHubProducerClient =>
  'connectionString' in c
    ? new EventHubProducerClient(c.connectionString, hub)
    : new EventHubProducerClient(c.fullyQualifiedNamespace, hub, credentialFor(c.identity));

export const consumerClient = (
  c: EventHubsConnection,
  group: string,
  hub: string,
): EventHubConsumerClient =>
  'connectionString' in c
    ? new EventHubConsumerClient(group, c.connectionString, hub)
    : new EventHubConsumerClient(group, c.fullyQualifiedNamespace, hub, credentialFor(c.identity));
