import type { Container, ItemDefinition } from '@azure/cosmos';
import type { DeviceDraft, DeviceIdentity } from '../../domain/identity/DeviceIdentity';
import type { ModuleDraft, ModuleIdentity } from '../../domain/identity/ModuleIdentity';
import type { Page, RegistryStore, StoredIdentity } from '../../ports/RegistryStore';
import { ContinuationSeal } from './ContinuationSeal';
import { toCosmosEtag, toWireEtag } from './cosmosEtag';
import {
  DEVICE_DOCUMENT_ID,
  MODULES_MARKER_ID,
  deviceDocument,
  moduleDocument,
  moduleDocumentId,
  type DeviceDocument,
  type ModuleDocument,
} from './identityDocuments';
import { isCosmosNotFound, translateCosmosError } from './translateCosmosError';

/**
 * Identities in one Cosmos container partitioned by /deviceId: a device and its modules share a
 * logical partition, so every point operation is single-partition and etag-conditional.
 */
export class CosmosRegistryStore implements RegistryStore {
  constructor(
    private readonly container: Container,
    private readonly seal: ContinuationSeal,
  ) {}

  async readDevice(deviceId: string): Promise<DeviceIdentity | null> {
    const doc = await this.read(DEVICE_DOCUMENT_ID, deviceId);
    return doc ? toDevice(deviceDocument.parse(doc)) : null;
  }

  async createDevice(draft: DeviceDraft): Promise<DeviceIdentity> {
    try {
      const { resource } = await this.container.items.create(fromDevice(draft));
      return toDevice(deviceDocument.parse(resource));
    } catch (error) {
      throw translateCosmosError(error, {
        conflict: [
          'DeviceAlreadyExists',
          `A device with ID '${draft.deviceId}' is already registered`,
        ],
      });
    }
  }

  async replaceDevice(draft: DeviceDraft, etag: string): Promise<DeviceIdentity> {
    try {
      const { resource } = await this.container
        .item(DEVICE_DOCUMENT_ID, draft.deviceId)
        .replace(fromDevice(draft), {
          accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) },
        });
      return toDevice(deviceDocument.parse(resource));
    } catch (error) {
      throw translateCosmosError(error, {
        notFound: ['DeviceNotFound', `Device '${draft.deviceId}' is not registered`],
        preconditionFailed: [
          'PreconditionFailed',
          `Device '${draft.deviceId}' was changed by someone else: read it again`,
        ],
      });
    }
  }

  async deleteDevice(deviceId: string, etag: string): Promise<void> {
    await this.remove(DEVICE_DOCUMENT_ID, deviceId, etag, [
      'DeviceNotFound',
      `Device '${deviceId}' is not registered`,
    ]);
  }

  async listDevices(pageSize: number, continuationToken?: string): Promise<Page<DeviceIdentity>> {
    const items: DeviceIdentity[] = [];
    let token = continuationToken === undefined ? undefined : this.seal.open(continuationToken);
    // Pages may come back short: keep fetching, asking only for what is still missing, so the
    // result never exceeds pageSize and the token always points just past what was returned.
    do {
      const page = await this.container.items
        .query<ItemDefinition>(
          {
            query: 'SELECT * FROM c WHERE c.kind = @kind',
            parameters: [{ name: '@kind', value: 'device' }],
          },
          { maxItemCount: pageSize - items.length, ...(token ? { continuationToken: token } : {}) },
        )
        .fetchNext();
      items.push(...page.resources.map((d) => toDevice(deviceDocument.parse(d))));
      token = page.hasMoreResults ? page.continuationToken : undefined;
    } while (token && items.length < pageSize);
    return { items, continuationToken: token ? this.seal.seal(token) : undefined };
  }

  async countDevices(): Promise<{ total: number; disabled: number }> {
    const count = async (query: string) => {
      const { resources } = await this.container.items.query<number>(query).fetchAll();
      return resources.reduce((a, b) => a + b, 0);
    };
    const [total, disabled] = await Promise.all([
      count("SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'device'"),
      count("SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'device' AND c.status = 'disabled'"),
    ]);
    return { total, disabled };
  }

  async scanIdentities(
    pageSize: number,
    continuationToken?: string,
  ): Promise<Page<StoredIdentity>> {
    const items: StoredIdentity[] = [];
    let token = continuationToken;
    do {
      const page = await this.container.items
        .query<ItemDefinition>(
          "SELECT * FROM c WHERE c.kind = 'device' OR c.kind = 'module' ORDER BY c.deviceId",
          { maxItemCount: pageSize - items.length, ...(token ? { continuationToken: token } : {}) },
        )
        .fetchNext();
      for (const d of page.resources) {
        items.push(
          d.kind === 'device'
            ? { kind: 'device', device: toDevice(deviceDocument.parse(d)) }
            : { kind: 'module', module: toModule(moduleDocument.parse(d)) },
        );
      }
      token = page.hasMoreResults ? page.continuationToken : undefined;
    } while (token && items.length < pageSize);
    return { items, continuationToken: token };
  }

  async readModule(deviceId: string, moduleId: string): Promise<ModuleIdentity | null> {
    const doc = await this.read(moduleDocumentId(moduleId), deviceId);
    return doc ? toModule(moduleDocument.parse(doc)) : null;
  }

  async createModule(draft: ModuleDraft): Promise<ModuleIdentity> {
    // The marker goes first: whoever finds no marker may rely on there being no module.
    await this.container.items.upsert({
      id: MODULES_MARKER_ID,
      kind: 'marker',
      deviceId: draft.deviceId,
    });
    try {
      const { resource } = await this.container.items.create(fromModule(draft));
      return toModule(moduleDocument.parse(resource));
    } catch (error) {
      throw translateCosmosError(error, {
        conflict: [
          'ModuleAlreadyExistsOnDevice',
          `A module with ID '${draft.moduleId}' is already registered on device '${draft.deviceId}'`,
        ],
      });
    }
  }

  async replaceModule(draft: ModuleDraft, etag: string): Promise<ModuleIdentity> {
    try {
      const { resource } = await this.container
        .item(moduleDocumentId(draft.moduleId), draft.deviceId)
        .replace(fromModule(draft), {
          accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) },
        });
      return toModule(moduleDocument.parse(resource));
    } catch (error) {
      throw translateCosmosError(error, {
        notFound: [
          'ModuleNotFound',
          `Module '${draft.moduleId}' is not registered on device '${draft.deviceId}'`,
        ],
        preconditionFailed: [
          'PreconditionFailed',
          `Module '${draft.moduleId}' was changed by someone else: read it again`,
        ],
      });
    }
  }

  async deleteModule(deviceId: string, moduleId: string, etag: string): Promise<void> {
    await this.remove(moduleDocumentId(moduleId), deviceId, etag, [
      'ModuleNotFound',
      `Module '${moduleId}' is not registered on device '${deviceId}'`,
    ]);
  }

  async listModules(deviceId: string): Promise<ModuleIdentity[]> {
    // Most devices never get a module: a point read spares them a query on every delete.
    if (!(await this.read(MODULES_MARKER_ID, deviceId))) return [];
    const { resources } = await this.container.items
      .query<ItemDefinition>(
        {
          // The filter on deviceId repeats the partition key: the stand-in ignores that option.
          query: 'SELECT * FROM c WHERE c.deviceId = @deviceId AND c.kind = @kind',
          parameters: [
            { name: '@deviceId', value: deviceId },
            { name: '@kind', value: 'module' },
          ],
        },
        { partitionKey: deviceId },
      )
      .fetchAll();
    return resources.map((d) => toModule(moduleDocument.parse(d)));
  }

  private async read(id: string, deviceId: string): Promise<ItemDefinition | undefined> {
    try {
      const { resource } = await this.container.item(id, deviceId).read<ItemDefinition>();
      return resource;
    } catch (error) {
      if (isCosmosNotFound(error)) return undefined;
      throw translateCosmosError(error, {});
    }
  }

  private async remove(
    id: string,
    deviceId: string,
    etag: string,
    notFound: ['DeviceNotFound' | 'ModuleNotFound', string],
  ) {
    try {
      await this.container
        .item(id, deviceId)
        .delete({ accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) } });
    } catch (error) {
      throw translateCosmosError(error, {
        notFound,
        preconditionFailed: [
          'PreconditionFailed',
          'The identity was changed by someone else: read it again',
        ],
      });
    }
  }
}

function fromDevice(d: DeviceDraft): Omit<DeviceDocument, '_etag'> {
  return { id: DEVICE_DOCUMENT_ID, kind: 'device', ...d };
}

function toDevice({ id: _id, kind: _kind, _etag, ...rest }: DeviceDocument): DeviceIdentity {
  return { ...rest, etag: toWireEtag(_etag) };
}

function fromModule(m: ModuleDraft): Omit<ModuleDocument, '_etag'> {
  return { id: moduleDocumentId(m.moduleId), kind: 'module', ...m };
}

function toModule({ id: _id, kind: _kind, _etag, ...rest }: ModuleDocument): ModuleIdentity {
  return { ...rest, etag: toWireEtag(_etag) };
}
