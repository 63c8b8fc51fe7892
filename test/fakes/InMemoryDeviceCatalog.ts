import { randomUUID } from 'node:crypto';
import type { CatalogEntry } from '../../src/domain/catalog/CatalogEntry';
import type { DeviceCatalog, StoredCatalogEntry } from '../../src/ports/DeviceCatalog';
import type { IdentityRef } from '../../src/ports/LivenessStore';

/** An in-memory DeviceCatalog with etags, as TableDeviceCatalog behaves. */
export class InMemoryDeviceCatalog implements DeviceCatalog {
  private readonly rows = new Map<string, StoredCatalogEntry>();

  private static key(ref: IdentityRef) {
    return `${ref.deviceId}\u0000${ref.moduleId ?? ''}`;
  }

  read(ref: IdentityRef): Promise<StoredCatalogEntry | null> {
    return Promise.resolve(structuredClone(this.rows.get(InMemoryDeviceCatalog.key(ref)) ?? null));
  }

  write(entry: CatalogEntry, etag: string | null): Promise<boolean> {
    const key = InMemoryDeviceCatalog.key(entry);
    if ((this.rows.get(key)?.etag ?? null) !== etag) return Promise.resolve(false);
    this.rows.set(key, { entry: structuredClone(entry), etag: randomUUID() });
    return Promise.resolve(true);
  }

  list(): Promise<CatalogEntry[]> {
    return Promise.resolve([...this.rows.values()].map((r) => structuredClone(r.entry)));
  }
}
