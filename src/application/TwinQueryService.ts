import { RegistryError } from '../domain/errors/RegistryError';
import { checkTwinQuery } from '../domain/query/checkTwinQuery';
import { parseTwinQuery } from '../domain/query/parseTwinQuery';
import type { JsonObject, JsonValue, Twin } from '../domain/twin/Twin';
import type { TwinQueryStore } from '../ports/TwinQueryStore';

export const DEFAULT_QUERY_PAGE = 100;
export const MAX_QUERY_PAGE = 1000;

/** A page of results: twins for `SELECT *` (item type `twin`), plain objects otherwise (`raw`). */
export type QueryResult = (
  { itemType: 'twin'; items: Twin[] } | { itemType: 'raw'; items: JsonObject[] }
) & { continuationToken?: string | undefined };

/** The IoT Hub query language over device and module twins. */
export class TwinQueryService {
  constructor(private readonly store: TwinQueryStore) {}

  async run(text: string, pageSize: number, continuationToken?: string): Promise<QueryResult> {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_QUERY_PAGE)
      throw new RegistryError(
        'ArgumentInvalid',
        `x-ms-max-item-count must be a whole number from 1 to ${MAX_QUERY_PAGE}`,
      );
    const query = parseTwinQuery(text);
    checkTwinQuery(query);
    if (query.select.kind === 'all') {
      const page = await this.store.twins(query, pageSize, continuationToken);
      return { itemType: 'twin', ...page };
    }
    const items = query.select.items;
    if (query.groupBy.length > 0) {
      const groups = await this.store.groups(query);
      const dotted = query.groupBy.map((p) => p.segments.join('.'));
      return {
        itemType: 'raw',
        items: groups.map((g) => {
          const row: JsonObject = {};
          for (const item of items) {
            if (item.kind === 'count') setColumn(row, item.alias, g.count);
            else {
              const value = g.key[dotted.indexOf(item.path.segments.join('.'))];
              if (value !== undefined) setColumn(row, item.alias, value);
            }
          }
          return row;
        }),
      };
    }
    const count = items.find((i) => i.kind === 'count');
    if (count)
      return { itemType: 'raw', items: [{ [count.alias]: await this.store.count(query) }] };
    const page = await this.store.projections(query, pageSize, continuationToken);
    return { itemType: 'raw', ...page };
  }
}

/** An alias is the caller's: defined, not assigned, so `AS __proto__` is a column like any other. */
function setColumn(row: JsonObject, alias: string, value: JsonValue): void {
  Object.defineProperty(row, alias, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
