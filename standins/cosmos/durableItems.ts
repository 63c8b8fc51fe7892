import Items from '@vercel/cosmosdb-server/lib/account/items';
import Collections from '@vercel/cosmosdb-server/lib/account/collections';
import Databases from '@vercel/cosmosdb-server/lib/account/databases';
import Documents from '@vercel/cosmosdb-server/lib/account/documents';
import type Account from '@vercel/cosmosdb-server/lib/account';
import type { JournalRecord } from './Journal';

type Doc = Record<string, unknown> & { _rid: string; id: string };
/** The parts of the library's Items this stand-in reaches into (it has no public hooks). */
type AnyItems = {
  _data: Map<string, unknown>;
  _ridCount: number;
  _getPartition(data: Record<string, unknown>): unknown;
  _item(keyPath: string, value: string, partition: unknown): unknown;
  delete(idOrRid: string, partition: unknown): void;
  /** Where these items live: [] databases, [db] collections, [db, coll] documents. */
  __path?: string[];
  /** Documents only: rids of each partition, and the change feed's order. */
  __parts?: Map<string, Set<string>>;
  __feed?: { lsn: number; rid: string }[];
  __lsn?: number;
};

/**
 * What the stand-in's mutations write to, set by the server while it runs: every committed
 * change of a database, container or document becomes a journal record. Changes made inside
 * `atomically` (a replace is a delete and a set underneath; a batch is many) become one record,
 * so a crash can never leave half of one on disk.
 */
export const persistence = {
  sink: null as ((record: JournalRecord) => void) | null,
  replaying: false,
  depth: 0,
  collected: [] as JournalRecord[],
};

export function atomically<T>(work: () => T, keep: (result: T) => boolean = () => true): T {
  persistence.depth++;
  const start = persistence.collected.length;
  let result: T;
  try {
    result = work();
  } catch (error) {
    persistence.collected.length = start;
    throw error;
  } finally {
    persistence.depth--;
  }
  if (!keep(result!)) persistence.collected.length = start;
  if (persistence.depth === 0 && persistence.collected.length > 0) {
    const changes = persistence.collected;
    persistence.collected = [];
    persistence.sink?.({ changes });
  }
  return result!;
}

function record(change: JournalRecord): void {
  if (persistence.replaying || !persistence.sink) return;
  if (persistence.depth > 0) persistence.collected.push(change);
  else persistence.sink({ changes: [change] });
}

export const partitionOf = (items: AnyItems, data: Doc): string =>
  JSON.stringify([items._getPartition(data)]);

const proto = Items.prototype as unknown as Omit<AnyItems, 'delete'> & {
  _set(data: Doc): Doc;
  delete(idOrRid: string, partition: unknown): void;
  create(data: Doc): Doc;
  replace(data: Doc, original: Doc): Doc;
  upsert(data: Doc): Doc;
};
const set = proto._set;
// Plain booleans, not type guards: `this` stays the loose shape above.
const isDocuments = (items: unknown): boolean => items instanceof Documents;
const isCollections = (items: unknown): boolean => items instanceof Collections;
const isDatabases = (items: unknown): boolean => items instanceof Databases;
const remove = proto.delete;

proto._set = function (this: AnyItems, data: Doc): Doc {
  const documents = isDocuments(this);
  if (documents) {
    // Each version of a document gets the container's next LSN: the change feed's order.
    const lsn =
      persistence.replaying && typeof data._lsn === 'number' ? data._lsn : (this.__lsn ?? 0) + 1;
    this.__lsn = Math.max(this.__lsn ?? 0, lsn);
    data._lsn = lsn;
  }
  const result = set.call(this, data);
  const path = this.__path;
  if (isDatabases(this) || isCollections(this) || documents) {
    const item = this._data.get(data._rid) as {
      collections?: AnyItems;
      documents?: AnyItems;
    };
    if (isDatabases(this) && item.collections) item.collections.__path = [data.id];
    if (isCollections(this) && item.documents && path) item.documents.__path = [...path, data.id];
    if (documents) {
      const key = partitionOf(this, data);
      this.__parts ??= new Map();
      let rids = this.__parts.get(key);
      if (!rids) this.__parts.set(key, (rids = new Set()));
      rids.add(data._rid);
      (this.__feed ??= []).push({ lsn: data._lsn as number, rid: data._rid });
    }
    if (path) record({ op: 'set', path, data, rc: this._ridCount });
  }
  return result;
};

proto.delete = function (this: AnyItems, idOrRid: string, partition: unknown): void {
  const data = (this._item('/id', idOrRid, partition) as { read(): Doc | null }).read();
  remove.call(this, idOrRid, partition);
  if (!data) return;
  if (isDocuments(this)) this.__parts?.get(partitionOf(this, data))?.delete(data._rid);
  if (this.__path)
    record({ op: 'delete', path: this.__path, id: data.id, partition: this._getPartition(data) });
};

// Public mutations are atomic in the journal (replace is delete + set underneath).
for (const name of ['create', 'replace', 'upsert'] as const) {
  const original = proto[name] as (...args: unknown[]) => Doc;
  (proto as unknown as Record<string, unknown>)[name] = function (
    this: AnyItems,
    ...args: unknown[]
  ) {
    return atomically(() => original.apply(this, args));
  };
}

/** The items a record's path names. */
export function itemsAt(account: Account, path: string[]): AnyItems | undefined {
  const [db, coll] = path;
  if (db === undefined) return account.databases;
  const database = account.database(db) as unknown as {
    collections?: AnyItems;
    read(): unknown;
    collection(id: string): unknown;
  };
  if (!database.read()) return undefined;
  if (coll === undefined) return database.collections;
  const collection = database.collection(coll) as {
    documents?: AnyItems;
    read(): unknown;
  };
  return collection.read() ? collection.documents : undefined;
}

/** Applies journal records to a fresh account, without journaling them again. */
export function replay(account: Account, records: Iterable<JournalRecord>): void {
  (account.databases as unknown as AnyItems).__path = [];
  persistence.replaying = true;
  try {
    for (const r of records) {
      for (const c of (r.changes as JournalRecord[] | undefined) ?? [r]) {
        const items = itemsAt(account, c.path as string[]);
        if (!items) continue;
        if (c.op === 'set') {
          const data = c.data as Doc;
          const existing = (
            items._item('/id', data.id, items._getPartition(data)) as {
              read(): Doc | null;
            }
          ).read();
          if (existing) remove.call(items, data.id, items._getPartition(data));
          proto._set.call(items, data);
          items._ridCount = Math.max(items._ridCount, Number(c.rc) || 0);
        } else {
          proto.delete.call(items, c.id as string, c.partition);
        }
      }
    }
  } finally {
    persistence.replaying = false;
  }
}

/** The live state as records: what a snapshot holds. */
export function* liveRecords(account: Account): Generator<JournalRecord> {
  const databases = account.databases as unknown as AnyItems;
  for (const db of databases._data.values()) {
    const dbData = (db as { read(): Doc }).read();
    yield { op: 'set', path: [], data: dbData, rc: databases._ridCount };
    const collections = (db as { collections: AnyItems }).collections;
    for (const coll of collections._data.values()) {
      const collData = (coll as { read(): Doc }).read();
      yield { op: 'set', path: [dbData.id], data: collData, rc: collections._ridCount };
      const docs = (coll as { documents: AnyItems }).documents;
      const sorted = [...docs._data.values()]
        .map((d) => (d as { read(): Doc }).read())
        .sort((a, b) => (a._lsn as number) - (b._lsn as number));
      for (const data of sorted)
        yield { op: 'set', path: [dbData.id, collData.id], data, rc: docs._ridCount };
    }
  }
}

export type { AnyItems, Doc };
