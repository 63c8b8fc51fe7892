import type { IncomingMessage, ServerResponse } from 'node:http';
import type Account from '@vercel/cosmosdb-server/lib/account';
import { partitionOf, type AnyItems, type Doc } from './durableItems';

const DEFAULT_PAGE = 100;

/**
 * The change feed in latest-version mode, as the SDK reads it (`A-IM: Incremental feed`): the
 * newest version of every document changed after the continuation (an LSN, sent back in
 * `If-None-Match`), oldest change first, so it is ordered per partition; 304 when there is
 * nothing new. `If-None-Match: *` starts from now. Deleted documents do not appear, as in
 * Cosmos DB.
 */
export function readChangeFeed(
  account: Account,
  dbId: string,
  collId: string,
  req: IncomingMessage,
  res: ServerResponse,
): unknown {
  const collection = account.database(dbId).collection(collId) as unknown as {
    read(): unknown;
    documents: AnyItems;
  };
  if (!collection.read()) {
    res.statusCode = 404;
    return { code: 'NotFound', message: `Container '${collId}' does not exist` };
  }
  const documents = collection.documents;
  const newest = documents.__lsn ?? 0;
  const condition = String(req.headers['if-none-match'] ?? '');
  const since = condition === '*' ? newest : Number(condition.replace(/"/g, '')) || 0;
  const max = Number(req.headers['x-ms-max-item-count']) || DEFAULT_PAGE;
  const partition = req.headers['x-ms-documentdb-partitionkey'];
  const wanted = typeof partition === 'string' ? partition : undefined;
  const feed = compacted(documents);
  const out: Doc[] = [];
  let last = since;
  for (let i = firstAfter(feed, since); i < feed.length && out.length < max; i++) {
    const { lsn, rid } = feed[i]!;
    const doc = (documents._data.get(rid) as { read(): Doc } | undefined)?.read();
    if (!doc || doc._lsn !== lsn) continue; // an older version, or deleted since
    last = lsn;
    if (wanted !== undefined && partitionOf(documents, doc) !== wanted) continue;
    out.push(doc);
  }
  res.setHeader('etag', `"${out.length > 0 || condition === '*' ? last : since}"`);
  res.setHeader('x-ms-item-count', String(out.length));
  if (out.length === 0) {
    res.statusCode = 304;
    return undefined;
  }
  return { Documents: out, _count: out.length };
}

function firstAfter(feed: { lsn: number }[], lsn: number): number {
  let lo = 0;
  let hi = feed.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (feed[mid]!.lsn <= lsn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drops entries of superseded versions once they outnumber the live documents. */
function compacted(documents: AnyItems): { lsn: number; rid: string }[] {
  const feed = (documents.__feed ??= []);
  if (feed.length > 1024 && feed.length > 2 * documents._data.size) {
    documents.__feed = feed.filter(({ lsn, rid }) => {
      const doc = (documents._data.get(rid) as { read(): Doc } | undefined)?.read();
      return doc?._lsn === lsn;
    });
  }
  return documents.__feed;
}
