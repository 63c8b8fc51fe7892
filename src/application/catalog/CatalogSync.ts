import {
  applyCatalogChange,
  changesPerIdentity,
  type CatalogChange,
} from '../../domain/catalog/applyCatalogChange';
import { parseCatalogChange } from '../../domain/catalog/parseCatalogChange';
import type { RawEvent } from '../../domain/liveness/RawEvent';
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
 * The reference consumer of lifecycle and twin change notifications: keeps a device catalog,
 * tags included, equal to the registry. Notifications arrive at least once, a device's first
 * copies in commit order (later copies anywhere); each entry moves only to a newer sequence,
 * with a conditional write, so each change is applied once, in order, and repeats, stale copies
 * and racing instances all end in the same catalog. An unreadable notification is counted and
 * skipped.
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
    await inParallel(changesPerIdentity(changes), 16, async (group) => {
      const ref = group[0] as CatalogChange;
      for (let attempt = 1; ; attempt++) {
        const stored = await this.catalog.read(ref);
        // Each change in turn on what the previous one left: a repeat or a stale one is dropped.
        let entry = stored?.entry ?? null;
        let moved = 0;
        for (const change of group) {
          const next = applyCatalogChange(entry, change);
          if (next) {
            entry = next;
            moved++;
          }
        }
        if (moved === 0 || !entry) {
          result.stale += group.length;
          return;
        }
        if (await this.catalog.write(entry, stored?.etag ?? null)) {
          result.applied += moved;
          result.stale += group.length - moved;
          return;
        }
        // Another instance wrote the entry meanwhile: decide again on what it wrote.
        if (attempt >= ATTEMPTS)
          throw new Error(`Catalog entry of '${ref.deviceId}' kept changing`);
      }
    });
    return result;
  }
}
