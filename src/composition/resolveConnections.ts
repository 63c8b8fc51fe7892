import type { Settings } from '../config/Settings';

/** Which identity to use: the app's system-assigned one, or a user-assigned one by client ID. */
export interface IdentityChoice {
  clientId: string | null;
}

export type CosmosConnection =
  { endpoint: string; key: string } | { endpoint: string; identity: IdentityChoice };

export type StorageConnection =
  | { connectionString: string }
  | { blobUri: string; queueUri: string; tableUri: string; identity: IdentityChoice };

export type EventHubsConnection =
  { connectionString: string } | { fullyQualifiedNamespace: string; identity: IdentityChoice };

export interface Connections {
  cosmos: CosmosConnection;
  storage: StorageConnection;
  eventHubs: EventHubsConnection | null;
}

const service = (account: string, kind: 'blob' | 'queue' | 'table') =>
  `https://${account}.${kind}.core.windows.net`;

/**
 * How each store is reached, by the Azure Functions conventions for identity-based connections:
 * a key or connection string when one is set; otherwise the app's managed identity
 * (DefaultAzureCredential), with `__clientId` naming a user-assigned identity.
 *
 * - Cosmos DB: `COSMOS_ENDPOINT` with `COSMOS_KEY`, or `COSMOS_ENDPOINT` alone.
 * - Storage: `STORAGE_CONNECTION_STRING`, or `STORAGE_CONNECTION_STRING__accountName`, or the
 *   `__blobServiceUri`, `__queueServiceUri` and `__tableServiceUri` it needs.
 * - Event Hubs: `EVENTHUB_CONNECTION`, or `EVENTHUB_CONNECTION__fullyQualifiedNamespace`.
 *
 * Throws an error naming the settings to set when a store cannot be reached either way.
 */
export function resolveConnections(settings: Settings): Connections {
  if (!settings.COSMOS_ENDPOINT)
    throw new Error(
      'COSMOS_ENDPOINT must be set, with COSMOS_KEY or without it to use the managed identity (npm start provides an embedded stand-in when it is absent)',
    );
  const cosmos: CosmosConnection = settings.COSMOS_KEY
    ? { endpoint: settings.COSMOS_ENDPOINT, key: settings.COSMOS_KEY }
    : {
        endpoint: settings.COSMOS_ENDPOINT,
        identity: { clientId: settings.COSMOS_CLIENT_ID ?? null },
      };

  let storage: StorageConnection;
  if (settings.STORAGE_CONNECTION_STRING)
    storage = { connectionString: settings.STORAGE_CONNECTION_STRING };
  else {
    const account = settings.STORAGE_CONNECTION_STRING__accountName;
    const uri = (kind: 'blob' | 'queue' | 'table', explicit: string | undefined) =>
      explicit ?? (account ? service(account, kind) : undefined);
    const blobUri = uri('blob', settings.STORAGE_CONNECTION_STRING__blobServiceUri);
    const queueUri = uri('queue', settings.STORAGE_CONNECTION_STRING__queueServiceUri);
    const tableUri = uri('table', settings.STORAGE_CONNECTION_STRING__tableServiceUri);
    if (!blobUri || !queueUri || !tableUri)
      throw new Error(
        'STORAGE_CONNECTION_STRING must be set, or STORAGE_CONNECTION_STRING__accountName (or its __blobServiceUri, __queueServiceUri and __tableServiceUri) to use the managed identity (npm start provides Azurite when all are absent)',
      );
    storage = {
      blobUri,
      queueUri,
      tableUri,
      identity: { clientId: settings.STORAGE_CONNECTION_STRING__clientId ?? null },
    };
  }

  const eventHubs: EventHubsConnection | null = settings.EVENTHUB_CONNECTION
    ? { connectionString: settings.EVENTHUB_CONNECTION }
    : settings.EVENTHUB_CONNECTION__fullyQualifiedNamespace
      ? {
          fullyQualifiedNamespace: settings.EVENTHUB_CONNECTION__fullyQualifiedNamespace,
          identity: { clientId: settings.EVENTHUB_CONNECTION__clientId ?? null },
        }
      : null;
  return { cosmos, storage, eventHubs };
}
