import { createHash } from 'node:crypto';
import type { Container, ItemDefinition } from '@azure/cosmos';
import { RegistryError } from '../../domain/errors/RegistryError';
import type { TwinQuery } from '../../domain/query/TwinQuery';
import type { JsonObject, JsonValue, Twin } from '../../domain/twin/Twin';
import type { Page } from '../../ports/RegistryStore';
import type { QueryGroup, TwinQueryStore } from '../../ports/TwinQueryStore';
import { compileTwinQuery, type CosmosSql } from './compileTwinQuery';
import type { ContinuationSeal } from './ContinuationSeal';
import { translateCosmosError } from './translateCosmosError';
import { fromTwinDocument } from './twinDocuments';

/** Rows a grouped query reads per page: many, since only the group keys come back. */
const SCAN_PAGE = 10_000;
/**
 * A page of results ends early, with a continuation, once its items pass this many bytes of
 * JSON (as Cosmos DB ends each of its own responses at 4 MB): 1,000 twins of 29 KB would be a
 * 29 MB page held in memory, twice, while it is answered.
 */
export const PAGE_BYTES = 4 * 1024 * 1024;

/** Twin queries as Cosmos SQL over the identity container's twin documents. */
export class CosmosTwinQueryStore implements TwinQueryStore {
  private readonly timeoutMs: number;

  constructor(
    private readonly container: Container,
    private readonly seal: ContinuationSeal,
    /** How long one call (every Cosmos request it makes) may take before it answers 503. */
    private readonly timeoutSeconds: number,
  ) {
    this.timeoutMs = Math.ceil(timeoutSeconds * 1000);
  }

  async twins(query: TwinQuery, pageSize: number, token?: string): Promise<Page<Twin>> {
    const page = await this.page<ItemDefinition>(query, pageSize, token);
    return { ...page, items: page.items.map((d) => fromTwinDocument(d)) };
  }

  projections(query: TwinQuery, pageSize: number, token?: string): Promise<Page<JsonObject>> {
    return this.page<JsonObject>(query, pageSize, token);
  }

  async count(query: TwinQuery): Promise<number> {
    const compiled = compileTwinQuery(query);
    if (compiled.kind !== 'count') throw new Error('Not a COUNT query');
    const counts = await this.fetchAll<number>(compiled.sql, this.deadline());
    return counts.reduce((a, b) => a + b, 0);
  }

  async groups(query: TwinQuery): Promise<QueryGroup[]> {
    const compiled = compileTwinQuery(query);
    if (compiled.kind !== 'groups') throw new Error('Not a grouped query');
    const deadline = this.deadline();
    const width = query.groupBy.length;
    const groups = new Map<string, QueryGroup>();
    let token: string | undefined;
    do {
      const page = await this.fetch<Record<string, JsonValue>>(
        compiled.sql,
        SCAN_PAGE,
        deadline,
        token,
      );
      for (const row of page.resources) {
        const key = Array.from({ length: width }, (_, i) => row[`g${i}`]);
        const id = JSON.stringify(key.map((k) => (k === undefined ? { undefined: true } : k)));
        const group = groups.get(id);
        if (group) group.count++;
        else groups.set(id, { key, count: 1 });
      }
      token = page.continuationToken;
    } while (token);
    return [...groups.values()];
  }

  /**
   * A page of pageSize rows, whatever Cosmos returns per call, unless the results end or the
   * rows pass PAGE_BYTES: each call after the first asks for what is expected to fit.
   */
  private async page<T>(query: TwinQuery, pageSize: number, sealed?: string): Promise<Page<T>> {
    const compiled = compileTwinQuery(query);
    if (compiled.kind !== 'rows') throw new Error('Not a row query');
    const digest = createHash('sha256').update(JSON.stringify(compiled.sql)).digest('base64url');
    let token = sealed === undefined ? undefined : this.open(sealed, digest.slice(0, 16));
    const deadline = this.deadline();
    const items: T[] = [];
    let bytes = 0;
    let want = pageSize;
    do {
      const page = await this.fetch<T>(compiled.sql, want, deadline, token);
      for (const row of page.resources) bytes += Buffer.byteLength(JSON.stringify(row));
      items.push(...page.resources);
      token = page.continuationToken;
      const perRow = items.length > 0 ? bytes / items.length : 1;
      want = Math.min(
        pageSize - items.length,
        Math.max(1, Math.floor((PAGE_BYTES - bytes) / perRow)),
      );
    } while (token && items.length < pageSize && bytes < PAGE_BYTES);
    return {
      items,
      continuationToken: token ? this.seal.seal(`${digest.slice(0, 16)}.${token}`) : undefined,
    };
  }

  private open(sealed: string, digest: string): string {
    const opened = this.seal.open(sealed);
    const dot = opened.indexOf('.');
    if (opened.slice(0, dot) !== digest)
      throw new RegistryError(
        'ArgumentInvalid',
        'x-ms-continuation belongs to another query: send it with the query that returned it',
      );
    return opened.slice(dot + 1);
  }

  /** Aborts every Cosmos request of one call once its time is up. */
  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  private failure(error: unknown, deadline: AbortSignal): unknown {
    if (!deadline.aborted) return translateCosmosError(error, {});
    return new RegistryError(
      'ServiceUnavailable',
      `The query took longer than ${this.timeoutSeconds} s (QUERY_TIMEOUT_SECONDS): retry later, or narrow it with a more selective WHERE or a smaller x-ms-max-item-count`,
      Math.max(1, Math.ceil(this.timeoutSeconds)),
    );
  }

  private async fetch<T>(
    sql: CosmosSql,
    maxItemCount: number,
    deadline: AbortSignal,
    token?: string,
  ) {
    try {
      const page = await this.container.items
        .query<T>(sql, {
          maxItemCount,
          abortSignal: deadline,
          ...(token ? { continuationToken: token } : {}),
        })
        .fetchNext();
      return {
        resources: page.resources,
        continuationToken: page.hasMoreResults ? page.continuationToken : undefined,
      };
    } catch (error) {
      throw this.failure(error, deadline);
    }
  }

  private async fetchAll<T>(sql: CosmosSql, deadline: AbortSignal): Promise<T[]> {
    try {
      return (await this.container.items.query<T>(sql, { abortSignal: deadline }).fetchAll())
        .resources;
    } catch (error) {
      throw this.failure(error, deadline);
    }
  }
}
