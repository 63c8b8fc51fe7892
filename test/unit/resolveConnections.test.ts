import { describe, expect, it } from 'vitest';
import { cosmosClient, producerClient, storageClients } from '../../src/composition/clientsFor';
import { resolveConnections } from '../../src/composition/resolveConnections';
import { parseSettings } from '../../src/config/Settings';

const base = { COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/' };

describe('which credential each store gets', () => {
  it('uses keys and connection strings when they are set', () => {
    const c = resolveConnections(
      parseSettings({
        ...base,
        COSMOS_KEY: 'a2V5',
        STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
        EVENTHUB_CONNECTION:
          'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=x',
      }),
    );
    expect(c.cosmos).toEqual({ endpoint: base.COSMOS_ENDPOINT, key: 'a2V5' });
    expect(c.storage).toEqual({ connectionString: 'UseDevelopmentStorage=true' });
    expect(c.eventHubs).toHaveProperty('connectionString');
  });

  it('uses the managed identity by the Functions conventions when no key is set', () => {
    const c = resolveConnections(
      parseSettings({
        ...base,
        COSMOS_CLIENT_ID: 'client-1',
        STORAGE_CONNECTION_STRING__accountName: 'acct',
        STORAGE_CONNECTION_STRING__tableServiceUri: 'https://other.table.core.windows.net',
        STORAGE_CONNECTION_STRING__clientId: 'client-1',
        EVENTHUB_CONNECTION__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
      }),
    );
    expect(c.cosmos).toEqual({
      endpoint: base.COSMOS_ENDPOINT,
      identity: { clientId: 'client-1' },
    });
    expect(c.storage).toEqual({
      blobUri: 'https://acct.blob.core.windows.net',
      queueUri: 'https://acct.queue.core.windows.net',
      tableUri: 'https://other.table.core.windows.net',
      identity: { clientId: 'client-1' },
    });
    expect(c.eventHubs).toEqual({
      fullyQualifiedNamespace: 'ns.servicebus.windows.net',
      identity: { clientId: null },
    });
    // The clients build without a key and without reaching Azure.
    expect(cosmosClient(c.cosmos)).toBeDefined();
    const storage = storageClients(c.storage);
    expect(storage.queues.url).toBe('https://acct.queue.core.windows.net');
    expect(storage.table('liveness').url).toContain('https://other.table.core.windows.net');
    expect(producerClient(c.eventHubs!, 'telemetry').fullyQualifiedNamespace).toBe(
      'ns.servicebus.windows.net',
    );
  });

  it('names the settings to set when a store cannot be reached either way', () => {
    expect(() => resolveConnections(parseSettings({}))).toThrow(/COSMOS_ENDPOINT must be set/);
    expect(() => resolveConnections(parseSettings(base))).toThrow(
      /STORAGE_CONNECTION_STRING__accountName/,
    );
    expect(
      resolveConnections(
        parseSettings({ ...base, STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }),
      ).eventHubs,
    ).toBeNull();
  });
});
