import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { LivenessKeys } from '../../src/adapters/tables/livenessKeys';
import { TableLivenessStore } from '../../src/adapters/tables/TableLivenessStore';

/** A fresh, empty table on the stand-in Azurite. */
export async function freshTable(prefix: string): Promise<TableClient> {
  const table = TableClient.fromConnectionString(
    inject('standIns').storageConnectionString,
    `${prefix}${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    { allowInsecureConnection: true },
  );
  await table.createTable();
  return table;
}

/** A liveness store on a fresh table of the embedded Azurite. */
export async function freshLivenessStore(partitions = 8): Promise<TableLivenessStore> {
  return new TableLivenessStore(await freshTable('liveness'), new LivenessKeys(partitions));
}
