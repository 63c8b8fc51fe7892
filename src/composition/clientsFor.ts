import { CosmosClient } from '@azure/cosmos';
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  RetryMode,
  type RetryOptions,
} from '@azure/event-hubs';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { BlobServiceClient } from '@azure/storage-blob';
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

/**
 * Every call to a dependency is bounded: a dependency that is down or does not answer costs a
 * caller seconds, not the SDKs' defaults (Event Hubs: 3 retries 30 s apart; Storage: retries
 * over 4-6 s; Cosmos: 60 s per request), and becomes a 503 (see guardDependency).
 */
export const DEPENDENCY_TIMEOUT_MS = 20_000;
const QUICK_RETRY = { retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };

// Shorter per try: a send whose broker died waits out its try before the retry finds it gone.
const eventHubsRetry: RetryOptions = {
  maxRetries: 2,
  ...QUICK_RETRY,
  mode: RetryMode.Exponential,
  timeoutInMs: 4_000,
};
const queueOptions: StoragePipelineOptions = {
  retryOptions: { maxTries: 3, tryTimeoutInMs: DEPENDENCY_TIMEOUT_MS, ...QUICK_RETRY },
};
type PipelinePolicy = NonNullable<
  TableServiceClientOptions['additionalPolicies']
>[number]['policy'];
const tryTimeout: PipelinePolicy = {
  name: 'tryTimeout',
  sendRequest: (request, next) => {
    request.timeout = DEPENDENCY_TIMEOUT_MS;
    return next(request);
  },
};
const tableOptions = {
  retryOptions: { maxRetries: 2, ...QUICK_RETRY },
  additionalPolicies: [{ policy: tryTimeout, position: 'perRetry' as const }],
};

export function cosmosClient(c: CosmosConnection): CosmosClient {
  // The stand-in (plain HTTP) has a single endpoint and no account metadata to discover.
  const connectionPolicy = {
    enableEndpointDiscovery: !c.endpoint.startsWith('http:'),
    requestTimeout: DEPENDENCY_TIMEOUT_MS,
  };
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
  blobs: BlobServiceClient;
  table(name: string): TableClient;
} {
  if ('connectionString' in c) {
    const insecure =
      c.connectionString.includes('http://') ||
      c.connectionString.includes('UseDevelopmentStorage=true');
    return {
      queues: QueueServiceClient.fromConnectionString(c.connectionString, queueOptions),
      blobs: BlobServiceClient.fromConnectionString(c.connectionString, queueOptions),
      table: (name) =>
        TableClient.fromConnectionString(c.connectionString, name, {
          ...tableOptions,
          allowInsecureConnection: insecure,
        }),
    };
  }
  const credential = credentialFor(c.identity);
  return {
    queues: new QueueServiceClient(c.queueUri, credential, queueOptions),
    blobs: new BlobServiceClient(c.blobUri, credential, queueOptions),
    table: (name) => new TableClient(c.tableUri, name, credential, tableOptions),
  };
}

export const producerClient = (c: EventHubsConnection, hub: string): EventHubProducerClient =>
  'connectionString' in c
    ? new EventHubProducerClient(c.connectionString, hub, { retryOptions: eventHubsRetry })
    : new EventHubProducerClient(c.fullyQualifiedNamespace, hub, credentialFor(c.identity), {
        retryOptions: eventHubsRetry,
      });

export const consumerClient = (
  c: EventHubsConnection,
  group: string,
  hub: string,
): EventHubConsumerClient =>
  'connectionString' in c
    ? new EventHubConsumerClient(group, c.connectionString, hub, { retryOptions: eventHubsRetry })
    : new EventHubConsumerClient(group, c.fullyQualifiedNamespace, hub, credentialFor(c.identity), {
        retryOptions: eventHubsRetry,
      });
