import type { Container, ItemDefinition } from '@azure/cosmos';
import { z } from 'zod';
import type { Configuration, ConfigurationDraft } from '../../domain/configurations/Configuration';
import type { ConfigurationStore } from '../../ports/ConfigurationStore';
import { toCosmosEtag, toWireEtag } from './cosmosEtag';
import { isCosmosNotFound, translateCosmosError } from './translateCosmosError';

/** No device ID may contain '#': the configurations' partition can never be a device's. */
export const CONFIGURATIONS_PARTITION = '#configurations';
const idOf = (id: string) => `cfg.${Buffer.from(id, 'utf8').toString('base64url')}`;

const json = z.record(z.string(), z.unknown());
/** The stored configuration, re-checked on every read. */
const configurationDocument = z.object({
  kind: z.literal('configuration'),
  _etag: z.string(),
  configuration: z.object({
    id: z.string(),
    schemaVersion: z.string(),
    labels: z.record(z.string(), z.string()),
    content: z.object({
      deviceContent: json.optional(),
      moduleContent: json.optional(),
      modulesContent: json.optional(),
    }),
    targetCondition: z.string(),
    priority: z.number().int(),
    metrics: z.object({ queries: z.record(z.string(), z.string()) }),
    createdTimeUtc: z.string(),
    lastUpdatedTimeUtc: z.string(),
  }),
});

export const isConfigurationDocument = (doc: unknown): boolean =>
  (doc as { kind?: unknown } | null)?.kind === 'configuration' &&
  (doc as { deviceId?: unknown }).deviceId === CONFIGURATIONS_PARTITION;

export function configurationOf(doc: unknown): Configuration {
  const d = configurationDocument.parse(doc);
  return { ...(d.configuration as ConfigurationDraft), etag: toWireEtag(d._etag) };
}

const meaning = (id: string) => ({
  notFound: ['ConfigurationNotFound', `There is no configuration '${id}'`] as [
    'ConfigurationNotFound',
    string,
  ],
  conflict: [
    'ConfigurationAlreadyExists',
    `A configuration '${id}' exists: update it with If-Match (its etag, or *)`,
  ] as ['ConfigurationAlreadyExists', string],
  preconditionFailed: [
    'PreconditionFailed',
    `The configuration '${id}' changed since it was read: read it again and retry`,
  ] as ['PreconditionFailed', string],
});

/** Configurations as documents of one partition of the identity container (its change feed sees them). */
export class CosmosConfigurationStore implements ConfigurationStore {
  constructor(private readonly container: Container) {}

  async read(id: string): Promise<Configuration | null> {
    try {
      const { resource } = await this.container
        .item(idOf(id), CONFIGURATIONS_PARTITION)
        .read<ItemDefinition>();
      return resource ? configurationOf(resource) : null;
    } catch (error) {
      if (isCosmosNotFound(error)) return null;
      throw translateCosmosError(error, {});
    }
  }

  async list(): Promise<Configuration[]> {
    const { resources } = await this.container.items
      .query<ItemDefinition>(
        {
          query: 'SELECT * FROM c WHERE c.deviceId = @p AND c.kind = @kind',
          parameters: [
            { name: '@p', value: CONFIGURATIONS_PARTITION },
            { name: '@kind', value: 'configuration' },
          ],
        },
        { partitionKey: CONFIGURATIONS_PARTITION },
      )
      .fetchAll();
    return resources
      .map(configurationOf)
      .sort((a, b) => a.createdTimeUtc.localeCompare(b.createdTimeUtc) || a.id.localeCompare(b.id));
  }

  async create(draft: ConfigurationDraft): Promise<Configuration> {
    try {
      const { resource } = await this.container.items.create(toDocument(draft));
      return configurationOf(resource);
    } catch (error) {
      throw translateCosmosError(error, meaning(draft.id));
    }
  }

  async replace(draft: ConfigurationDraft, etag: string): Promise<Configuration> {
    try {
      const { resource } = await this.container
        .item(idOf(draft.id), CONFIGURATIONS_PARTITION)
        .replace(toDocument(draft), {
          accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) },
        });
      return configurationOf(resource);
    } catch (error) {
      throw translateCosmosError(error, meaning(draft.id));
    }
  }

  async delete(id: string, etag: string | null): Promise<void> {
    try {
      await this.container
        .item(idOf(id), CONFIGURATIONS_PARTITION)
        .delete(
          etag === null
            ? {}
            : { accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) } },
        );
    } catch (error) {
      throw translateCosmosError(error, meaning(id));
    }
  }
}

function toDocument(draft: ConfigurationDraft) {
  return {
    id: idOf(draft.id),
    kind: 'configuration',
    deviceId: CONFIGURATIONS_PARTITION,
    configuration: draft,
  };
}
