import type Account from '@vercel/cosmosdb-server/lib/account';
import type { AnyItems, Doc } from './durableItems';

/**
 * Time to live as Cosmos DB has it: a container's `defaultTtl` (-1: on, items live until their
 * own `ttl` says otherwise; absent: off) and an item's `ttl` in seconds after its last write
 * (`_ts`). Expired items are deleted (and journaled) by this sweep, run every second.
 */
export function sweepExpired(account: Account, nowSeconds: number): number {
  let removed = 0;
  const databases = account.databases as unknown as AnyItems;
  for (const db of databases._data.values()) {
    const collections = (db as { collections: AnyItems }).collections;
    for (const coll of collections._data.values()) {
      const settings = (coll as { read(): { defaultTtl?: number } }).read();
      if (settings.defaultTtl === undefined || settings.defaultTtl === null) continue;
      const documents = (coll as { documents: AnyItems }).documents;
      const expired: Doc[] = [];
      for (const item of documents._data.values()) {
        const doc = (item as { read(): Doc }).read();
        const ttl = typeof doc.ttl === 'number' ? doc.ttl : settings.defaultTtl;
        if (ttl > 0 && (doc._ts as number) + ttl <= nowSeconds) expired.push(doc);
      }
      for (const doc of expired) documents.delete(doc.id, documents._getPartition(doc));
      removed += expired.length;
    }
  }
  return removed;
}
