import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { LivenessKeys } from '../../src/adapters/tables/livenessKeys';
import { TableLivenessStore } from '../../src/adapters/tables/TableLivenessStore';

/** A liveness store on a fresh table of the embedded Azurite. */
export async function freshLivenessStore(partitions = 8): Promise<TableLivenessStore> {
  const name = `liveness${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const table = livenessTableClient(name);
  await table.createTable();
  return new TableLivenessStore(table, new LivenessKeys(partitions));
}

/** A client of a liveness table of the embedded Azurite, with pipeline options of a test's own. */
export function livenessTableClient(
  name: string,
  options: TableServiceClientOptions = {},
): TableClient {
  return TableClient.fromConnectionString(inject('stack').storageConnectionString, name, {
    allowInsecureConnection: true,
    ...options,
  });
}
