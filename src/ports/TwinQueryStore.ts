import type { TwinQuery } from '../domain/query/TwinQuery';
import type { JsonObject, JsonValue, Twin } from '../domain/twin/Twin';
import type { Page } from './RegistryStore';

/** One group of a grouped query: the values of its GROUP BY paths (undefined: not set). */
export interface QueryGroup {
  key: (JsonValue | undefined)[];
  count: number;
}

/** Runs checked twin queries against the store. Tokens are opaque and bound to their query. */
export interface TwinQueryStore {
  /** SELECT *: whole twins, a page at a time. */
  twins(query: TwinQuery, pageSize: number, continuationToken?: string): Promise<Page<Twin>>;
  /** SELECT of paths: one object per twin with the selected values, a page at a time. */
  projections(
    query: TwinQuery,
    pageSize: number,
    continuationToken?: string,
  ): Promise<Page<JsonObject>>;
  /** COUNT() without GROUP BY. */
  count(query: TwinQuery): Promise<number>;
  /** GROUP BY: every group with its count. */
  groups(query: TwinQuery): Promise<QueryGroup[]>;
}
