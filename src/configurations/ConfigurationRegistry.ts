import { RegistryError } from '../domain/errors/RegistryError';
import {
  checkConfiguration,
  checkMetricQuery,
  checkTargetCondition,
} from '../domain/configurations/checkConfiguration';
import {
  CONFIGURATION_LIMITS,
  type Configuration,
  type ConfigurationDraft,
} from '../domain/configurations/Configuration';
import { appliedQuery, systemQueryTexts } from '../domain/configurations/systemQueries';
import type { IfMatch } from '../domain/identity/IfMatch';
import type { TwinQuery } from '../domain/query/TwinQuery';
import { sameJson } from '../domain/twin/diffValues';
import type { JsonValue } from '../domain/twin/Twin';
import type { Clock } from '../ports/Clock';
import type { ConfigurationStore } from '../ports/ConfigurationStore';
import type { TwinQueryStore } from '../ports/TwinQueryStore';
import { retryOnConflict } from '../application/retryOnConflict';

/** What the caller sends; the registry fills in times and the etag. */
export type ConfigurationInput = Omit<ConfigurationDraft, 'createdTimeUtc' | 'lastUpdatedTimeUtc'>;

export interface ConfigurationMetrics {
  systemMetrics: { results: Record<string, number>; queries: Record<string, string> };
  metrics: { results: Record<string, number>; queries: Record<string, string> };
}

export type ConfigurationView = Configuration & ConfigurationMetrics;

const notFound = (id: string) =>
  new RegistryError('ConfigurationNotFound', `There is no configuration '${id}'`);

/**
 * Configuration use cases (IoT Hub's automatic device management): create, update (content is
 * immutable, as in IoT Hub), read with current metrics, list, delete, test queries. Applying
 * them to twins is ConfigurationApplier's.
 */
export class ConfigurationRegistry {
  constructor(
    private readonly store: ConfigurationStore,
    private readonly twins: TwinQueryStore,
    private readonly clock: Clock,
    private readonly maxConfigurations: number = CONFIGURATION_LIMITS.perHub,
  ) {}

  async put(input: ConfigurationInput, ifMatch: IfMatch): Promise<ConfigurationView> {
    const now = this.clock.now().toISOString();
    const draft: ConfigurationDraft = { ...input, createdTimeUtc: now, lastUpdatedTimeUtc: now };
    checkConfiguration(draft);
    const stored = await retryOnConflict(async () => {
      const current = await this.store.read(input.id);
      if (!current) {
        if (ifMatch.kind === 'etag') throw notFound(input.id);
        if ((await this.store.list()).length >= this.maxConfigurations)
          throw new RegistryError(
            'IotHubQuotaExceeded',
            `This hub holds ${this.maxConfigurations} configurations, its limit: delete one first`,
          );
        return this.store.create(draft);
      }
      if (ifMatch.kind === 'none')
        throw new RegistryError(
          'ConfigurationAlreadyExists',
          `A configuration '${input.id}' exists: update it with If-Match (its etag, or *)`,
        );
      if (!sameJson(current.content as JsonValue, input.content as JsonValue))
        throw new RegistryError(
          'ArgumentInvalid',
          `The content of configuration '${input.id}' cannot change (only labels, metrics, priority and targetCondition can): create a new configuration`,
        );
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : current.etag;
      return this.store.replace({ ...draft, createdTimeUtc: current.createdTimeUtc }, etag);
    }, ifMatch.kind === 'any');
    return this.withMetrics(stored);
  }

  async get(id: string): Promise<ConfigurationView> {
    const stored = await this.store.read(id);
    if (!stored) throw notFound(id);
    return this.withMetrics(stored);
  }

  async list(top: number): Promise<ConfigurationView[]> {
    const all = await this.store.list();
    return Promise.all(all.slice(0, top).map((c) => this.withMetrics(c)));
  }

  async delete(id: string, ifMatch: IfMatch): Promise<void> {
    if (ifMatch.kind === 'etag') return this.store.delete(id, ifMatch.etag);
    return this.store.delete(id, null);
  }

  /** Parses a target condition and metric queries without storing anything. */
  testQueries(
    targetCondition: string,
    queries: Record<string, string>,
  ): { targetConditionError: string; customMetricQueryErrors: Record<string, string> } {
    const messageOf = (check: () => unknown) => {
      try {
        check();
        return '';
      } catch (error) {
        if (error instanceof RegistryError) return error.message;
        throw error;
      }
    };
    const targetConditionError = messageOf(() =>
      checkTargetCondition(
        targetCondition,
        /^\s*from\s+devices\s*\.\s*modules\b/i.test(targetCondition),
      ),
    );
    const customMetricQueryErrors: Record<string, string> = {};
    for (const [name, text] of Object.entries(queries)) {
      const error = messageOf(() => checkMetricQuery(name, text));
      if (error !== '') customMetricQueryErrors[name] = error;
    }
    return { targetConditionError, customMetricQueryErrors };
  }

  /** Counts as IoT Hub reports them: counted from the twins when read, so always current. */
  private async withMetrics(configuration: Configuration): Promise<ConfigurationView> {
    const checked = checkConfiguration(configuration);
    const count = async (query: TwinQuery | null) => {
      if (!query) return 0;
      if (query.groupBy.length > 0) return (await this.twins.groups(query)).length;
      return this.twins.count({
        ...query,
        select: { kind: 'fields', items: [{ kind: 'count', alias: 'n' }] },
      });
    };
    const [targeted, applied, ...custom] = await Promise.all([
      count(checked.target),
      count(appliedQuery(configuration.id, checked.kind === 'module')),
      ...[...checked.metrics.values()].map(count),
    ]);
    const results: Record<string, number> = {};
    [...checked.metrics.keys()].forEach((name, i) => (results[name] = custom[i] ?? 0));
    return {
      ...configuration,
      systemMetrics: {
        results: { targetedCount: targeted ?? 0, appliedCount: applied ?? 0 },
        queries: systemQueryTexts(configuration, checked.kind === 'module'),
      },
      metrics: { results, queries: configuration.metrics.queries },
    };
  }
}
