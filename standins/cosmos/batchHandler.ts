import type { IncomingMessage, ServerResponse } from 'node:http';
import type Account from '@vercel/cosmosdb-server/lib/account';
import documentOperations = require('@vercel/cosmosdb-server/lib/handler/_document-operations');
import patchOperations = require('@vercel/cosmosdb-server/lib/handler/_patch-operations');
import { atomically, type AnyItems, type Doc } from './durableItems';

type Operation = Record<string, unknown> & {
  operationType?: string;
  id?: string;
  partitionKey?: string;
  resourceBody?: Doc;
};
interface Result {
  statusCode: number;
  body?: Doc | Record<string, unknown>;
}
type Collection = {
  read(): unknown;
  documents: AnyItems;
  document(id: string, partition: unknown): { read(): Doc | null };
};

const MAX_OPERATIONS = 100;

/**
 * A transactional batch as Cosmos DB runs it: all operations of one partition apply, or none
 * does. On a failure the failing operation answers its status, the others 424, every change
 * already made is undone, and the journal gets nothing; the reply is 207 Multi-Status.
 */
export function runBatch(
  account: Account,
  dbId: string,
  collId: string,
  req: IncomingMessage,
  body: unknown,
  res: ServerResponse,
): unknown {
  const collection = account.database(dbId).collection(collId) as unknown as Collection;
  if (!collection.read()) {
    res.statusCode = 404;
    return { code: 'NotFound', message: `Container '${collId}' does not exist` };
  }
  if (!Array.isArray(body) || body.length === 0) {
    res.statusCode = 400;
    return { code: 'BadRequest', message: 'A batch is a non-empty array of operations' };
  }
  if (body.length > MAX_OPERATIONS) {
    res.statusCode = 400;
    return {
      code: 'BadRequest',
      message: `A batch holds at most ${MAX_OPERATIONS} operations, not ${body.length}`,
    };
  }
  const header = req.headers['x-ms-documentdb-partitionkey'];
  const partitionKey = Array.isArray(header) ? header[0] : header;
  const ops = (body as Operation[]).map((op) => ({
    ...op,
    partitionKey: op.partitionKey ?? partitionKey,
  }));
  const documents = collection.documents;
  const before = new Map<string, Doc | null>();
  const results: Result[] = [];
  const failed = atomically(
    () => {
      for (const op of ops) {
        const id = op.id ?? op.resourceBody?.id;
        const partition = op.resourceBody
          ? documents._getPartition(op.resourceBody)
          : (JSON.parse(String(op.partitionKey)) as unknown[])[0];
        const key = JSON.stringify([id, partition]);
        if (id !== undefined && !before.has(key))
          before.set(key, collection.document(String(id), partition).read());
        const result = apply(collection, op);
        results.push(result);
        if (result.statusCode >= 400) return true;
      }
      return false;
    },
    (didFail) => !didFail,
  );
  if (failed) {
    undo(documents, before);
    res.statusCode = 207;
    return ops.map((_, i) => ({
      statusCode: i === results.length - 1 ? results[i]!.statusCode : 424,
      requestCharge: 0,
    }));
  }
  return results.map((r) => ({
    statusCode: r.statusCode,
    requestCharge: 1,
    eTag: (r.body as Doc | undefined)?._etag,
    resourceBody: r.body,
  }));
}

function apply(collection: Collection, op: Operation): Result {
  const ops = documentOperations as unknown as Record<
    string,
    (c: Collection, o: Operation) => Result
  >;
  switch (op.operationType) {
    case 'Create':
      return ops.createOperation!(collection, op);
    case 'Upsert':
      return ops.upsertOperation!(collection, op);
    case 'Read':
      return ops.readOperation!(collection, op);
    case 'Delete':
      return ops.deleteOperation!(collection, op);
    case 'Replace':
      return ops.replaceOperation!(collection, op);
    case 'Patch': {
      // The SDK sends the operations as an array, or as { operations, condition }.
      const body = op.resourceBody as unknown;
      const { operations, condition } = Array.isArray(body)
        ? { operations: body as unknown[], condition: undefined }
        : (body as { operations?: unknown[]; condition?: string });
      try {
        return (
          patchOperations as unknown as { patchOperation(c: Collection, o: unknown): Result }
        ).patchOperation(collection, {
          id: op.id,
          partitionKey: op.partitionKey,
          ifMatch: op.ifMatch,
          operations: operations ?? [],
          condition,
        });
      } catch (error) {
        return { statusCode: 400, body: { message: (error as Error).message } };
      }
    }
    default:
      return {
        statusCode: 400,
        body: {
          message: `Operation '${String(op.operationType)}' is not supported in a batch here`,
        },
      };
  }
}

/** Puts every touched document back as it was (same _etag, _rid and _ts), outside the journal. */
function undo(documents: AnyItems, before: Map<string, Doc | null>): void {
  atomically(
    () => {
      for (const [key, original] of [...before].reverse()) {
        const [id, partition] = JSON.parse(key) as [string, unknown];
        const current = (documents._item('/id', id, partition) as { read(): Doc | null }).read();
        if (current) documents.delete(id, partition);
        if (original) (documents as unknown as { _set(d: Doc): Doc })._set({ ...original });
      }
    },
    () => false,
  );
}
