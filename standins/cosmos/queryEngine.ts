// `import = require` for the modules whose exports are replaced: the real exports object.
import transformer = require('@zeit/cosmosdb-query/lib/transformer');
import helpers = require('@zeit/cosmosdb-query/lib/helpers');
import json = require('@vercel/cosmosdb-server/lib/json');
import Items from '@vercel/cosmosdb-server/lib/account/items';
import type { AnyItems } from './durableItems';
// Its parser, memoized: linear in the query's length, and refusing queries nested too deep.
import './packratParser';

type Node = Record<string, unknown> & { type?: string };

/**
 * The query engine compiles every query into a reduce whose accumulator is copied per document
 * (`[...$, doc]`), so a query costs O(n²) in the container's size (6 s for one page of 20,000
 * documents). The syntax tree is rewritten to append in place (`($.push(doc), $)`); the
 * accumulator always starts as a fresh `[]`, so the result is the same.
 */
function appendInPlace(node: unknown): unknown {
  if (!node || typeof node !== 'object') return node;
  const n = node as Node;
  for (const key of Object.keys(n)) {
    const value = n[key];
    if (Array.isArray(value)) n[key] = value.map(appendInPlace);
    else if (value && typeof value === 'object') n[key] = appendInPlace(value);
  }
  const elements = n.type === 'ArrayExpression' ? (n.elements as Node[]) : [];
  const [first, ...rest] = elements;
  const argument = first?.argument as Node | undefined;
  if (first?.type === 'SpreadElement' && argument?.type === 'Identifier' && argument.name === '$') {
    const acc = { type: 'Identifier', name: '$' };
    return {
      type: 'SequenceExpression',
      expressions: [
        {
          type: 'CallExpression',
          callee: {
            type: 'MemberExpression',
            object: acc,
            property: { type: 'Identifier', name: 'push' },
            computed: false,
          },
          arguments: rest,
        },
        acc,
      ],
    };
  }
  return node;
}

const transforms = transformer as unknown as { default: (ast: unknown) => unknown };
const original = transforms.default;
transforms.default = (ast: unknown) => appendInPlace(original(ast));

/**
 * Cosmos DB runs a query that names a partition over that partition alone; the stand-in scanned
 * every document. The partition key header is carried into the query parameters, and the
 * query runs over that partition's documents. The SDK's query-plan request before each query
 * (which the stand-in answered by running the whole query) runs over no documents.
 */
const reader = json;
const readJson = reader.default;
reader.default = async (req) => {
  const body = await readJson(req);
  if (!body || typeof body !== 'object') return body;
  const header = (name: string) => String(req.headers[name] ?? '').toLowerCase();
  const key = req.headers['x-ms-documentdb-partitionkey'];
  if (header('x-ms-cosmos-is-query-plan-request') === 'true')
    (body as Record<string, unknown>).__partitionKey = '[]';
  else if (header('x-ms-documentdb-isquery') === 'true' && key)
    (body as Record<string, unknown>).__partitionKey = key;
  return body;
};

const proto = Items.prototype as unknown as {
  query(this: AnyItems, params: { __partitionKey?: string } | undefined, options: unknown): unknown;
};
const query = proto.query;
proto.query = function (this: AnyItems, params, options) {
  const key = params?.__partitionKey;
  if (key === undefined) return query.call(this, params, options);
  const all = this._data;
  const mine = new Map<string, unknown>();
  for (const rid of this.__parts?.get(key) ?? []) if (all.has(rid)) mine.set(rid, all.get(rid));
  // query() runs synchronously: no other request sees the narrowed map.
  this._data = mine;
  try {
    return query.call(this, params, options);
  } finally {
    this._data = all;
  }
};

/** Cosmos DB's largest query response: a page ends before its results pass it. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

type Paginate = (
  collection: unknown[],
  maxItemCount: number | undefined,
  ...rest: unknown[]
) => { result: unknown[]; continuation: unknown };

/**
 * Cosmos DB ends a query page at 4 MB of results, with a continuation, whatever maxItemCount
 * asks for; the stand-in answered every item asked for (29 MB for 1,000 large twins). A page
 * that would pass it is cut, at one item at least, by paginating again with the count that
 * fits (paginate is pure, so the continuation is the one for that count).
 */
const pages = helpers as unknown as { paginate: Paginate };
const paginate = pages.paginate;
pages.paginate = (collection, maxItemCount, ...rest) => {
  const page = paginate(collection, maxItemCount, ...rest);
  let bytes = 0;
  const fit = page.result.findIndex((item, i) => {
    bytes += Buffer.byteLength(JSON.stringify(item) ?? '');
    return i > 0 && bytes > MAX_RESPONSE_BYTES;
  });
  return fit < 0 ? page : paginate(collection, fit, ...rest);
};
