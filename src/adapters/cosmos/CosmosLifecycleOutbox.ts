import type { Container, OperationInput } from '@azure/cosmos';
import type { LifecycleOutbox, OutboxRecord } from '../../ports/LifecycleOutbox';
import { outboxDocument } from './lifecycleDocuments';
import { translateCosmosError } from './translateCosmosError';

const MAX_BULK_OPERATIONS = 100;

/** Outbox records are documents of the identity container, written by CosmosRegistryStore.commit. */
export class CosmosLifecycleOutbox implements LifecycleOutbox {
  constructor(private readonly container: Container) {}

  recordsIn(documents: readonly unknown[]): { records: OutboxRecord[]; malformed: number } {
    const records: OutboxRecord[] = [];
    let malformed = 0;
    for (const doc of documents) {
      if ((doc as { kind?: unknown } | null)?.kind !== 'outbox') continue;
      const parsed = outboxDocument.safeParse(doc);
      if (!parsed.success) {
        malformed++;
        continue;
      }
      const { id, deviceId, _etag, notifications } = parsed.data;
      records.push({ id, deviceId, etag: _etag, notifications });
    }
    return { records, malformed };
  }

  async complete(records: readonly OutboxRecord[]): Promise<void> {
    // One bulk request per 100 records (per partition key range), not one request per record.
    for (let i = 0; i < records.length; i += MAX_BULK_OPERATIONS) {
      const chunk = records.slice(i, i + MAX_BULK_OPERATIONS);
      let results: { statusCode: number }[];
      try {
        // bulk(), not executeBulkOperations() (deprecated in its favour): the latter waits up to a
        // second to fill a batch.
        results = await this.container.items.bulk(
          chunk.map((r): OperationInput => ({
            operationType: 'Delete',
            id: r.id,
            partitionKey: r.deviceId,
          })),
          { continueOnError: true },
        );
      } catch (error) {
        throw translateCosmosError(error, {});
      }
      // Gone already (404): another relay, or an earlier try of this batch, completed it.
      const failed = results.find((r) => r.statusCode >= 400 && r.statusCode !== 404);
      if (failed || results.length !== chunk.length) {
        const statusCode = failed?.statusCode ?? 500;
        throw translateCosmosError(
          Object.assign(new Error(`Removing published outbox records failed: ${statusCode}`), {
            statusCode,
          }),
          {},
        );
      }
    }
  }
}
