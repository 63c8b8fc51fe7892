import type { Container } from '@azure/cosmos';
import type { LifecycleOutbox, OutboxRecord } from '../../ports/LifecycleOutbox';
import { outboxDocument } from './lifecycleDocuments';
import { translateCosmosError } from './translateCosmosError';

const statusOf = (e: unknown) => (e as { code?: unknown } | null)?.code;

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
    await Promise.all(
      records.map(async (r) => {
        try {
          await this.container.item(r.id, r.deviceId).delete();
        } catch (error) {
          // Gone already: another relay (or an earlier try of this batch) completed it.
          if (statusOf(error) !== 404) throw translateCosmosError(error, {});
        }
      }),
    );
  }
}
