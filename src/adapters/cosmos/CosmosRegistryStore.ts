import type {
  Container,
  ItemDefinition,
  JSONObject,
  OperationBase,
  OperationInput,
  OperationResponse,
} from '@azure/cosmos';
import { RegistryError } from '../../domain/errors/RegistryError';
import type { DeviceDraft, DeviceIdentity } from '../../domain/identity/DeviceIdentity';
import type { ModuleDraft, ModuleIdentity } from '../../domain/identity/ModuleIdentity';
import { EMPTY_LEDGER } from '../../domain/lifecycle/DeviceLedger';
import {
  LedgerConflict,
  type CommitResult,
  type IdentityWrite,
  type LedgerRead,
  type LifecycleCommit,
  type Page,
  type RegistryStore,
  type StoredIdentity,
} from '../../ports/RegistryStore';
import { ContinuationSeal } from './ContinuationSeal';
import { toCosmosEtag, toWireEtag } from './cosmosEtag';
import {
  DEVICE_DOCUMENT_ID,
  deviceDocument,
  moduleDocument,
  moduleDocumentId,
  type DeviceDocument,
  type ModuleDocument,
} from './identityDocuments';
import {
  LEDGER_DOCUMENT_ID,
  ledgerDocument,
  outboxDocumentId,
  toLedgerDocument,
} from './lifecycleDocuments';
import { isCosmosNotFound, translateCosmosError } from './translateCosmosError';

/** Cosmos DB's limit; the module limit is capped so a device's delete always fits one batch. */
export const MAX_BATCH_OPERATIONS = 100;

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

  async listModules(deviceId: string): Promise<ModuleIdentity[]> {
    // Most devices never get a module: a point read spares them a query on every delete.
    if (!(await this.readLedger(deviceId)).ledger.hadModules) return [];
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

  async readLedger(deviceId: string): Promise<LedgerRead> {
    const doc = await this.read(LEDGER_DOCUMENT_ID, deviceId);
    if (!doc) return { ledger: EMPTY_LEDGER, etag: null };
    const { sequence, generationId, modules, hadModules, _etag } = ledgerDocument.parse(doc);
    return { ledger: { sequence, generationId, modules, hadModules }, etag: _etag };
  }

  /**
   * One transactional batch in the device's partition: the ledger first (so a lost race is
   * reported as such before anything else), the identity writes, then the outbox record.
   */
  async commit(deviceId: string, commit: LifecycleCommit): Promise<CommitResult> {
    const { read, next } = commit.ledger;
    const ledger = toLedgerDocument(deviceId, next);
    const operations: OperationInput[] = [
      read.etag === null
        ? { operationType: 'Create', resourceBody: ledger }
        : {
            operationType: 'Replace',
            id: LEDGER_DOCUMENT_ID,
            resourceBody: ledger,
            ifMatch: read.etag,
          },
      ...commit.writes.map((w) => operationOf(deviceId, w)),
    ];
    const first = commit.notifications[0];
    if (first) {
      const sequence = Number(first.properties.lifecycleSequence);
      operations.push({
        operationType: 'Create',
        resourceBody: {
          id: outboxDocumentId(sequence),
          kind: 'outbox',
          deviceId,
          // Plain JSON: strings and the twin-like body the domain built.
          notifications: commit.notifications as unknown as JSONObject[],
        },
      });
    }
    if (operations.length > MAX_BATCH_OPERATIONS)
      throw new Error(`A commit of ${operations.length} operations does not fit one batch`);
    let results: OperationResponse[];
    try {
      results = (await this.container.items.batch(operations, deviceId)).result ?? [];
    } catch (error) {
      throw translateCosmosError(error, {});
    }
    const failed = results.findIndex((r) => r.statusCode >= 400 && r.statusCode !== 424);
    // The ledger (first) or the outbox record (after the writes) lost a race: plan again.
    if (failed === 0 || failed > commit.writes.length) throw new LedgerConflict(deviceId);
    if (failed > 0)
      throw failure(
        deviceId,
        commit.writes[failed - 1] as IdentityWrite,
        results[failed] as OperationResponse,
      );
    if (results.length !== operations.length)
      throw new Error(
        `The store answered ${results.length} results to ${operations.length} operations`,
      );
    return commit.writes.map((w, i) => {
      const body = (results[i + 1] as OperationResponse).resourceBody;
      switch (w.op) {
        case 'createDevice':
        case 'replaceDevice':
          return toDevice(deviceDocument.parse(body));
        case 'createModule':
        case 'replaceModule':
          return toModule(moduleDocument.parse(body));
        default:
          return null;
      }
    });
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

function operationOf(deviceId: string, w: IdentityWrite): OperationInput {
  switch (w.op) {
    case 'createDevice':
      return { operationType: 'Create', resourceBody: fromDevice(w.draft) };
    case 'replaceDevice':
      return {
        operationType: 'Replace',
        id: DEVICE_DOCUMENT_ID,
        resourceBody: fromDevice(w.draft),
        ifMatch: toCosmosEtag(w.etag),
      };
    case 'deleteDevice':
      return deleteOf(DEVICE_DOCUMENT_ID, toCosmosEtag(w.etag));
    case 'createModule':
      return { operationType: 'Create', resourceBody: fromModule(w.draft) };
    case 'replaceModule':
      return {
        operationType: 'Replace',
        id: moduleDocumentId(w.draft.moduleId),
        resourceBody: fromModule(w.draft),
        ifMatch: toCosmosEtag(w.etag),
      };
    case 'deleteModule':
      return deleteOf(
        moduleDocumentId(w.moduleId),
        w.etag === null ? undefined : toCosmosEtag(w.etag),
      );
    default:
      throw new Error(`Unknown write for '${deviceId}'`);
  }
}

/** The batch API takes an etag on deletes too, though its type leaves it out. */
function deleteOf(id: string, ifMatch: string | undefined): OperationInput {
  const op: OperationInput & OperationBase = { operationType: 'Delete', id };
  if (ifMatch !== undefined) op.ifMatch = ifMatch;
  return op;
}

/** What a failed identity write means to the caller. */
function failure(deviceId: string, w: IdentityWrite, result: OperationResponse): unknown {
  const status = result.statusCode;
  const device = `Device '${deviceId}'`;
  switch (w.op) {
    case 'createDevice':
      return status === 409
        ? new RegistryError(
            'DeviceAlreadyExists',
            `A device with ID '${deviceId}' is already registered`,
          )
        : translateCosmosError({ statusCode: status }, {});
    case 'replaceDevice':
    case 'deleteDevice':
      return translateCosmosError(
        { statusCode: status },
        {
          notFound: ['DeviceNotFound', `${device} is not registered`],
          preconditionFailed: [
            'PreconditionFailed',
            `${device} was changed by someone else: read it again`,
          ],
        },
      );
    case 'createModule':
    case 'replaceModule':
      // A taken-over document that changed meanwhile: the caller decides again, as on a create.
      return status === 409 || status === 412 || status === 404
        ? new RegistryError(
            'ModuleAlreadyExistsOnDevice',
            `A module with ID '${w.draft.moduleId}' is already registered on device '${deviceId}'`,
          )
        : translateCosmosError({ statusCode: status }, {});
    case 'deleteModule':
      return translateCosmosError(
        { statusCode: status },
        {
          notFound: [
            'ModuleNotFound',
            `Module '${w.moduleId}' is not registered on ${device.toLowerCase()}`,
          ],
          preconditionFailed: [
            'PreconditionFailed',
            `Module '${w.moduleId}' was changed by someone else: read it again`,
          ],
        },
      );
  }
}
