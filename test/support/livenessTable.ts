import { TableClient } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { LivenessKeys } from '../../src/adapters/tables/livenessKeys';
import { TableLivenessStore } from '../../src/adapters/tables/TableLivenessStore';

/** A liveness store on a fresh table of the embedded Azurite. */
export async function freshLivenessStore(partitions = 8): Promise<TableLivenessStore> {
  const table = TableClient.fromConnectionString(
    inject('stack').storageConnectionString,
    `liveness${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    {
      allowInsecureConnection: true,
    },
  );
  await table.createTable();
  return new TableLivenessStore(table, new LivenessKeys(partitions));
}
