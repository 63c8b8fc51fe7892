import type { CatalogEntry } from '../domain/catalog/CatalogEntry';
import type { IdentityRef } from './LivenessStore';

export interface StoredCatalogEntry {
  entry: CatalogEntry;
  etag: string;
}

/** The downstream metadata store the reference consumer keeps converged. */
export interface DeviceCatalog {
  read(ref: IdentityRef): Promise<StoredCatalogEntry | null>;
  /** Writes on the etag it was read with (null: absent); false when another writer got there first. */
  write(entry: CatalogEntry, etag: string | null): Promise<boolean>;
  /** Every entry, deleted ones included. */
  list(): Promise<CatalogEntry[]>;
}
