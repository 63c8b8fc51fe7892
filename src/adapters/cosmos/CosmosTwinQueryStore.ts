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

/** Twin queries as Cosmos SQL over the identity container's twin documents. */
export class CosmosTwinQueryStore implements TwinQueryStore {
  constructor(
    private readonly container: Container,
    private readonly seal: ContinuationSeal,
  ) {}

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
    const counts = await this.fetchAll<number>(compiled.sql);
    return counts.reduce((a, b) => a + b, 0);
  }

  async groups(query: TwinQuery): Promise<QueryGroup[]> {
    const compiled = compileTwinQuery(query);
    if (compiled.kind !== 'groups') throw new Error('Not a grouped query');
    const width = query.groupBy.length;
    const groups = new Map<string, QueryGroup>();
    let token: string | undefined;
    do {
      const page = await this.fetch<Record<string, JsonValue>>(compiled.sql, SCAN_PAGE, token);
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

  /** A page of exactly pageSize rows unless the results end, whatever Cosmos returns per call. */
  private async page<T>(query: TwinQuery, pageSize: number, sealed?: string): Promise<Page<T>> {
    const compiled = compileTwinQuery(query);
    if (compiled.kind !== 'rows') throw new Error('Not a row query');
    const digest = createHash('sha256').update(JSON.stringify(compiled.sql)).digest('base64url');
    let token = sealed === undefined ? undefined : this.open(sealed, digest.slice(0, 16));
    const items: T[] = [];
    do {
      const page = await this.fetch<T>(compiled.sql, pageSize - items.length, token);
      items.push(...page.resources);
      token = page.continuationToken;
    } while (token && items.length < pageSize);
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

  private async fetch<T>(sql: CosmosSql, maxItemCount: number, token?: string) {
    try {
      const page = await this.container.items
        .query<T>(sql, { maxItemCount, ...(token ? { continuationToken: token } : {}) })
        .fetchNext();
      return {
        resources: page.resources,
        continuationToken: page.hasMoreResults ? page.continuationToken : undefined,
      };
    } catch (error) {
      throw translateCosmosError(error, {});
    }
  }

  private async fetchAll<T>(sql: CosmosSql): Promise<T[]> {
    try {
      return (await this.container.items.query<T>(sql).fetchAll()).resources;
    } catch (error) {
      throw translateCosmosError(error, {});
    }
  }
}
