import { RestError, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import type { CatalogEntry } from '../../domain/catalog/CatalogEntry';
import type { JsonObject } from '../../domain/twin/Twin';
import type { DeviceCatalog, StoredCatalogEntry } from '../../ports/DeviceCatalog';
import type { IdentityRef } from '../../ports/LivenessStore';
import { escapeKey } from './livenessKeys';

const entitySchema = z.object({
  deviceId: z.string(),
  moduleId: z.string(),
  status: z.enum(['enabled', 'disabled', '']),
  generationId: z.string(),
  sequence: z.number().int(),
  deleted: z.boolean(),
  lastChange: z.string(),
  lastChangeTime: z.string(),
  // JSON text (a Table property is a scalar; tags fit one: 32 KB of JSON at most). A row
  // written before tags were kept has none.
  tags: z.string().optional(),
});

const tagsSchema = z.record(z.string(), z.json());

function tagsOf(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  return tagsSchema.parse(JSON.parse(text));
}

const statusOf = (e: unknown) => (e instanceof RestError ? e.statusCode : undefined);

const keysOf = (ref: IdentityRef) => ({
  partitionKey: escapeKey(ref.deviceId),
  rowKey: ref.moduleId === null ? 'd' : `m|${escapeKey(ref.moduleId)}`,
});

function toEntry(entity: unknown): CatalogEntry {
  const e = entitySchema.parse(entity);
  return {
    ...e,
    tags: tagsOf(e.tags),
    moduleId: e.moduleId === '' ? null : e.moduleId,
    status: e.status === '' ? null : e.status,
    generationId: e.generationId === '' ? null : e.generationId,
  };
}

/** The device catalog as a Table: partition per device ID, a row per device and module. */
export class TableDeviceCatalog implements DeviceCatalog {
  constructor(private readonly table: TableClient) {}

  async read(ref: IdentityRef): Promise<StoredCatalogEntry | null> {
    const { partitionKey, rowKey } = keysOf(ref);
    try {
      const entity = await this.table.getEntity(partitionKey, rowKey);
      return { entry: toEntry(entity), etag: entity.etag };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async write(entry: CatalogEntry, etag: string | null): Promise<boolean> {
    const entity = {
      ...keysOf(entry),
      ...entry,
      moduleId: entry.moduleId ?? '',
      status: entry.status ?? '',
      generationId: entry.generationId ?? '',
      tags: JSON.stringify(entry.tags),
    };
    try {
      if (etag === null) await this.table.createEntity(entity);
      else await this.table.updateEntity(entity, 'Replace', { etag });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412 || status === 404) return false;
      throw error;
    }
  }

  async list(): Promise<CatalogEntry[]> {
    const out: CatalogEntry[] = [];
    for await (const e of this.table.listEntities()) out.push(toEntry(e));
    return out;
  }
}
