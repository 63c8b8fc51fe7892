import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { LivenessKeys } from '../../src/adapters/tables/livenessKeys';
import { TableLivenessStore } from '../../src/adapters/tables/TableLivenessStore';

/** A fresh, empty table on the stand-in Azurite. */
export async function freshTable(
  prefix: string,
  options: TableServiceClientOptions = {},
): Promise<TableClient> {
  const table = livenessTableClient(
    `${prefix}${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    options,
  );
  await table.createTable();
  return table;
}

/** A liveness store on a fresh table of the embedded Azurite. */
export async function freshLivenessStore(partitions = 8): Promise<TableLivenessStore> {
  return new TableLivenessStore(await freshTable('liveness'), new LivenessKeys(partitions));
}

/** A client of a table of the stand-in Azurite, with pipeline options of a test's own. */
export function livenessTableClient(
  name: string,
  options: TableServiceClientOptions = {},
): TableClient {
  return TableClient.fromConnectionString(inject('standIns').storageConnectionString, name, {
    allowInsecureConnection: true,
    ...options,
  });
}
