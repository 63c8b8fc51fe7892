import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteInstance } from '../../local/startAzurite';
import { startCosmosStandIn, type CosmosStandIn } from '../../standins/cosmos/startCosmosStandIn';

const TIMEOUT_MS = 60_000;

describe('Cosmos stand-in', () => {
  let standIn: CosmosStandIn | undefined;
  afterAll(async () => {
    await standIn?.stop();
  });

  it(
    'serves databases, containers and items, and frees its port on stop',
    async () => {
      standIn = await startCosmosStandIn();
      expect(standIn.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const client = new CosmosClient({
        endpoint: standIn.endpoint,
        key: standIn.key,
        connectionPolicy: { enableEndpointDiscovery: false },
      });
      const { database } = await client.databases.createIfNotExists({ id: 'registry' });
      const { container } = await database.containers.createIfNotExists({
        id: 'devices',
        partitionKey: { paths: ['/deviceId'] },
      });
      await container.items.create({ id: 'device-1', deviceId: 'device-1', status: 'enabled' });
      const { resource } = await container.item('device-1', 'device-1').read<{ status: string }>();
      expect(resource?.status).toBe('enabled');
      client.dispose();

      const port = portOf(standIn.endpoint);
      await standIn.stop();
      expect(await connectionRefused(port)).toBe(true);
    },
    TIMEOUT_MS,
  );
});

describe('Azurite', () => {
  const started: AzuriteInstance[] = [];
  const tempDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(started.map((instance) => instance.stop()));
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  describe('in memory', () => {
    let azurite: AzuriteInstance;
    beforeAll(async () => {
      azurite = await startAzurite({ inMemory: true });
      started.push(azurite);
    }, TIMEOUT_MS);

    it('serves tables', async () => {
      const table = TableClient.fromConnectionString(azurite.connectionString, 'devices', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.upsertEntity({ partitionKey: 'hub', rowKey: 'device-1', status: 'enabled' });
      const entity = await table.getEntity<{ status: string }>('hub', 'device-1');
      expect(entity.status).toBe('enabled');
    });

    it('serves blobs', async () => {
      const containerClient = BlobServiceClient.fromConnectionString(
        azurite.connectionString,
      ).getContainerClient('artifacts');
      await containerClient.create();
      expect(await containerClient.exists()).toBe(true);
    });

    it('frees all three ports on stop', async () => {
      const ports = [azurite.blobEndpoint, azurite.queueEndpoint, azurite.tableEndpoint].map(
        portOf,
      );
      expect(new Set(ports).size).toBe(3);
      await azurite.stop();
      for (const port of ports) expect(await connectionRefused(port)).toBe(true);
    });
  });

  it(
    'keeps its data in the location folder across a restart',
    async () => {
      const location = await mkdtemp(join(tmpdir(), 'azurite-location-'));
      tempDirs.push(location);

      const first = await startAzurite({ location });
      started.push(first);
      const table = TableClient.fromConnectionString(first.connectionString, 'persisted', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.upsertEntity({ partitionKey: 'hub', rowKey: 'device-1', generation: 7 });
      await first.stop();

      expect(await readdir(location)).toContain('__azurite_db_table__.json');
      expect(await readFile(join(location, '__azurite_db_table__.json'), 'utf8')).toContain(
        'persisted',
      );

      const second = await startAzurite({ location });
      started.push(second);
      const entity = await TableClient.fromConnectionString(second.connectionString, 'persisted', {
        allowInsecureConnection: true,
      }).getEntity<{ generation: number }>('hub', 'device-1');
      expect(entity.generation).toBe(7);
      await second.stop();
    },
    TIMEOUT_MS,
  );

  it('refuses ambiguous storage options', async () => {
    await expect(startAzurite({})).rejects.toThrow(/location|inMemory/);
    await expect(startAzurite({ inMemory: true, location: tmpdir() })).rejects.toThrow(/not both/);
  });
});

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** stop() promises nothing is left listening, so this checks once, without retrying. */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}
