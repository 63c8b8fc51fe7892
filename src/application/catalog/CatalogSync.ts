import { applyCatalogChange, newestPerIdentity } from '../../domain/catalog/applyCatalogChange';
import { parseCatalogChange } from '../../domain/catalog/parseCatalogChange';
import type { RawEvent } from '../../domain/liveness/parseLivenessEvent';
import type { DeviceCatalog } from '../../ports/DeviceCatalog';
import { inParallel } from '../runPerDevice';

const ATTEMPTS = 10;

export interface CatalogSyncResult {
  events: number;
  applied: number;
  stale: number;
  malformed: number;
}

/**
 * The reference consumer of lifecycle notifications: keeps a device catalog equal to the
 * registry. Notifications arrive at least once and possibly out of order; each entry moves only
 * to a newer sequence, with a conditional write, so repeats, reordering and racing instances
 * all end in the same catalog. An unreadable notification is counted and skipped.
 */
export class CatalogSync {
  constructor(private readonly catalog: DeviceCatalog) {}

  async apply(batch: readonly RawEvent[]): Promise<CatalogSyncResult> {
    const result: CatalogSyncResult = { events: batch.length, applied: 0, stale: 0, malformed: 0 };
    const changes = [];
    for (const raw of batch) {
      const parsed = parseCatalogChange(raw);
      if (parsed.ok === true) changes.push(parsed.change);
      else if (parsed.ok === false) result.malformed++;
    }
    await inParallel(newestPerIdentity(changes), 16, async (change) => {
      for (let attempt = 1; ; attempt++) {
        const stored = await this.catalog.read(change);
        const next = applyCatalogChange(stored?.entry ?? null, change);
        if (!next) {
          result.stale++;
          return;
        }
        if (await this.catalog.write(next, stored?.etag ?? null)) {
          result.applied++;
          return;
        }
        // Another instance wrote the entry meanwhile: decide again on what it wrote.
        if (attempt >= ATTEMPTS)
          throw new Error(`Catalog entry of '${change.deviceId}' kept changing`);
      }
    });
    return result;
  }
}
