import { FREE_PORTS } from '../support/freePorts';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/Settings';
import { startLocalStack } from '../../local/startLocalStack';
import { silentLogger } from '../../src/ports/Logger';

/** Free loopback ports, found by listening on 0 (the listeners are closed again). */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

describe("the embedded Azurite's ports", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'registry-storage-ports-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const settingsWith = (ports: number[]) =>
    parseSettings({
      ...FREE_PORTS,
      DATA_DIR: dataDir,
      AZURITE_BLOB_PORT: String(ports[0]),
      AZURITE_QUEUE_PORT: String(ports[1]),
      AZURITE_TABLE_PORT: String(ports[2]),
    });

  it("default to Azurite's own (10000-10002), so UseDevelopmentStorage=true reaches them", () => {
    const s = parseSettings({});
    expect([s.AZURITE_BLOB_PORT, s.AZURITE_QUEUE_PORT, s.AZURITE_TABLE_PORT]).toEqual([
      10000, 10001, 10002,
    ]);
  });

  it('stay the same across restarts: a connection string printed before works after', async () => {
    const ports = await freePorts(3);
    const first = await startLocalStack({ settings: settingsWith(ports), logger: silentLogger });
    const printed = first.storageConnectionString;
    const table = TableClient.fromConnectionString(printed, 'portcheck', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', kept: 'yes' });
    await first.stop();

    const second = await startLocalStack({ settings: settingsWith(ports), logger: silentLogger });
    try {
      expect(second.storageConnectionString).toBe(printed);
      expect((await table.getEntity<{ kept: string }>('p', 'r')).kept).toBe('yes');
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('say which setting to change when one is taken', async () => {
    const ports = await freePorts(3);
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(ports[1], '127.0.0.1', r));
    try {
      await expect(
        startLocalStack({ settings: settingsWith(ports), logger: silentLogger }),
      ).rejects.toThrow(`Azurite's port ${ports[1]} is in use`);
      await expect(
        startLocalStack({ settings: settingsWith(ports), logger: silentLogger }),
      ).rejects.toThrow('AZURITE_QUEUE_PORT');
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 120_000);
});
