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
import { EMPTY_LEDGER, type DeviceLedger } from '../../domain/lifecycle/DeviceLedger';
import {
  LedgerConflict,
  type CommitResult,
  type DeviceState,
  type IdentityWrite,
  type LedgerRead,
  type LifecycleCommit,
  type Page,
  type RegistryStore,
  type StoredIdentity,
  type StoredTwin,
  type TwinCommit,
} from '../../ports/RegistryStore';
import type { LifecycleNotification } from '../../domain/lifecycle/LifecycleNotification';
import { newTwinState, type TwinState } from '../../domain/twin/Twin';
import { twinIdentityOf } from '../../domain/twin/twinIdentityOf';
import {
  freshTwin,
  fromTwinDocument,
  identityPatch,
  toTwinDocument,
  twinDocumentId,
} from './twinDocuments';
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
    /** Told of every committed outbox record (it wakes this process's relay). */
    private readonly outboxCommits?: { committed(): void },
  ) {}

  async readDevice(deviceId: string): Promise<DeviceIdentity | null> {
    const doc = await this.read(DEVICE_DOCUMENT_ID, deviceId);
    return doc ? toDevice(deviceDocument.parse(doc)) : null;
  }

  async readDeviceState(deviceId: string): Promise<DeviceState> {
    let results: OperationResponse[];
    try {
      results =
        (
          await this.container.items.batch(
            [
              { operationType: 'Read', id: DEVICE_DOCUMENT_ID },
              { operationType: 'Read', id: LEDGER_DOCUMENT_ID },
              { operationType: 'Read', id: twinDocumentId(null) },
            ],
            deviceId,
          )
        ).result ?? [];
    } catch (error) {
      throw translateCosmosError(error, {});
    }
    const [device, ledger, twin] = results;
    if (results.length === 3 && results.every((r) => r.statusCode === 200)) {
      const twinDoc = twin!.resourceBody as JSONObject;
      return {
        device: toDevice(deviceDocument.parse(device!.resourceBody)),
        ledger: ledgerReadOf(ledger!.resourceBody),
        twin: { twin: fromTwinDocument(twinDoc), revision: twinDoc._etag as string },
      };
    }
    // Something is missing (no such device, or one stored before ledgers or twins existed),
    // which fails the whole batch: read each, the twin after the ledger.
    const ledgerRead = await this.readLedger(deviceId);
    const [found, storedTwin] = await Promise.all([
      this.readDevice(deviceId),
      this.readTwin(deviceId, null),
    ]);
    return { device: found, ledger: ledgerRead, twin: storedTwin };
  }

  async replaceDevice(
    draft: DeviceDraft,
    etag: string,
    twin?: StoredTwin,
  ): Promise<DeviceIdentity> {
    const [device] = await this.writeAlone(draft.deviceId, {
      op: 'replaceDevice',
      draft,
      etag,
      twin,
    });
    return device as DeviceIdentity;
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
          "SELECT * FROM c WHERE c.kind = 'device' OR c.kind = 'module' OR c.kind = 'twin' ORDER BY c.deviceId",
          { maxItemCount: pageSize - items.length, ...(token ? { continuationToken: token } : {}) },
        )
        .fetchNext();
      for (const d of page.resources) {
        items.push(
          d.kind === 'device'
            ? { kind: 'device', device: toDevice(deviceDocument.parse(d)) }
            : d.kind === 'twin'
              ? { kind: 'twin', twin: fromTwinDocument(d) }
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

  async replaceModule(
    draft: ModuleDraft,
    etag: string,
    twin?: StoredTwin,
  ): Promise<ModuleIdentity> {
    const [module] = await this.writeAlone(draft.deviceId, {
      op: 'updateModule',
      draft,
      etag,
      twin,
    });
    return module as ModuleIdentity;
  }

  /** One identity write with its twin, outside the ledger: a batch of two. */
  private async writeAlone(deviceId: string, write: StoreWrite): Promise<CommitResult> {
    const results = await this.runBatch(deviceId, [], [write], null);
    if ('failedWrite' in results) {
      if (results.failedWrite === null) throw new Error('A ledger-less write lost no ledger race');
      throw failure(deviceId, results.failedWrite.write, results.failedWrite.result);
    }
    return results.written;
  }

  async readTwin(deviceId: string, moduleId: string | null): Promise<StoredTwin | null> {
    const doc = await this.read(twinDocumentId(moduleId), deviceId);
    if (doc) return { twin: fromTwinDocument(doc), revision: doc._etag as string };
    // Identities written before twins existed have none yet: theirs is new.
    const identity =
      moduleId === null
        ? await this.readDevice(deviceId)
        : await this.readModule(deviceId, moduleId);
    if (!identity) return null;
    const now = new Date().toISOString();
    return { twin: freshTwin(twinIdentityOf(identity), newTwinState(now)), revision: null };
  }

  /**
   * One batch in the device's partition: the ledger first (a lost race is reported as such),
   * the twin (conditional on its revision; when none is stored yet, a read of the identity
   * first, as a twin never outlives it), then the outbox record.
   */
  async writeTwin(commit: TwinCommit): Promise<StoredTwin | null> {
    const { twin, revision } = commit;
    const moduleId = twin.moduleId ?? null;
    const body = toTwinDocument(twin) as unknown as JSONObject;
    const twinOps: OperationInput[] =
      revision === null
        ? [
            {
              operationType: 'Read',
              id: moduleId === null ? DEVICE_DOCUMENT_ID : moduleDocumentId(moduleId),
            },
            { operationType: 'Create', resourceBody: body },
          ]
        : [
            {
              operationType: 'Replace',
              id: twinDocumentId(moduleId),
              resourceBody: body,
              ifMatch: revision,
            },
          ];
    const outbox = outboxOperation(twin.deviceId, commit.notifications);
    const operations = [
      ledgerOperation(twin.deviceId, commit.ledger),
      ...twinOps,
      ...(outbox ? [outbox] : []),
    ];
    let results: OperationResponse[];
    try {
      results = (await this.container.items.batch(operations, twin.deviceId)).result ?? [];
    } catch (error) {
      throw translateCosmosError(error, {});
    }
    const failed = results.findIndex((r) => r.statusCode >= 400 && r.statusCode !== 424);
    if (failed >= 0) {
      const status = (results[failed] as OperationResponse).statusCode;
      // The ledger (first) or the outbox record (after the twin) lost a race: plan again.
      if (failed === 0 || failed > twinOps.length) {
        if (status === 412 || status === 409) throw new LedgerConflict(twin.deviceId);
        throw translateCosmosError({ statusCode: status }, {});
      }
      if (status === 404)
        throw moduleId === null
          ? new RegistryError('DeviceNotFound', `Device '${twin.deviceId}' is not registered`)
          : new RegistryError(
              'ModuleNotFound',
              `Module '${moduleId}' is not registered on device '${twin.deviceId}'`,
            );
      if (status === 412 || status === 409) return null;
      throw translateCosmosError({ statusCode: status }, {});
    }
    if (outbox) this.outboxCommits?.committed();
    const written = (results[twinOps.length] as OperationResponse).resourceBody as JSONObject;
    return { twin: fromTwinDocument(written), revision: written._etag as string };
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
    return doc ? ledgerReadOf(doc) : { ledger: EMPTY_LEDGER, etag: null };
  }

  /**
   * One transactional batch in the device's partition: the ledger first (so a lost race is
   * reported as such before anything else), the identity writes with their twins, then the
   * outbox record.
   */
  async commit(deviceId: string, commit: LifecycleCommit): Promise<CommitResult> {
    const head = [ledgerOperation(deviceId, commit.ledger)];
    const outbox = outboxOperation(deviceId, commit.notifications);
    const results = await this.runBatch(deviceId, head, commit.writes, outbox);
    if (!('failedWrite' in results)) return results.written;
    // The ledger (first) or the outbox record (after the writes) lost a race: plan again.
    if (results.failedWrite === null) throw new LedgerConflict(deviceId);
    throw failure(deviceId, results.failedWrite.write, results.failedWrite.result);
  }

  /**
   * Runs `head`, each write with its twin operation, and `tail` as one batch. A twin that is
   * not stored (an identity written before twins existed) is written whole instead, or not
   * deleted, and the batch runs again.
   */
  private async runBatch(
    deviceId: string,
    head: OperationInput[],
    writes: readonly StoreWrite[],
    tail: OperationInput | null,
  ): Promise<
    | { written: CommitResult }
    | { failedWrite: { write: StoreWrite; result: OperationResponse } | null }
  > {
    const missingTwins = new Set<number>();
    for (;;) {
      const operations = [...head];
      const owners: ({ write: number; twin: boolean } | null)[] = head.map(() => null);
      writes.forEach((w, i) => {
        operations.push(operationOf(deviceId, w));
        owners.push({ write: i, twin: false });
        const twinOp = twinOperationOf(w, missingTwins.has(i));
        if (twinOp) {
          operations.push(twinOp);
          owners.push({ write: i, twin: true });
        }
      });
      if (tail) {
        operations.push(tail);
        owners.push(null);
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
      if (failed >= 0) {
        const owner = owners[failed];
        const result = results[failed] as OperationResponse;
        if (!owner) return { failedWrite: null };
        if (owner.twin && result.statusCode === 404 && !missingTwins.has(owner.write)) {
          missingTwins.add(owner.write);
          continue;
        }
        // A twin conflict is the identity's: someone else changed it meanwhile.
        return { failedWrite: { write: writes[owner.write] as StoreWrite, result } };
      }
      if (results.length !== operations.length)
        throw new Error(
          `The store answered ${results.length} results to ${operations.length} operations`,
        );
      if (tail) this.outboxCommits?.committed();
      const written: CommitResult = writes.map(() => null);
      owners.forEach((owner, i) => {
        if (!owner || owner.twin) return;
        const w = writes[owner.write] as StoreWrite;
        const body = (results[i] as OperationResponse).resourceBody;
        if (w.op === 'createDevice' || w.op === 'replaceDevice')
          written[owner.write] = toDevice(deviceDocument.parse(body));
        else if (w.op === 'createModule' || w.op === 'replaceModule' || w.op === 'updateModule')
          written[owner.write] = toModule(moduleDocument.parse(body));
      });
      return { written };
    }
  }
}

function ledgerReadOf(doc: unknown): LedgerRead {
  const { sequence, generationId, modules, hadModules, _etag } = ledgerDocument.parse(doc);
  return { ledger: { sequence, generationId, modules, hadModules }, etag: _etag };
}

/** The ledger moved from the state it was read in: created, or replaced on its etag. */
function ledgerOperation(
  deviceId: string,
  { read, next }: { read: LedgerRead; next: DeviceLedger },
): OperationInput {
  const ledger = toLedgerDocument(deviceId, next);
  return read.etag === null
    ? { operationType: 'Create', resourceBody: ledger }
    : {
        operationType: 'Replace',
        id: LEDGER_DOCUMENT_ID,
        resourceBody: ledger,
        ifMatch: read.etag,
      };
}

/** The outbox record of a write's notifications (none: no record). */
function outboxOperation(
  deviceId: string,
  notifications: readonly LifecycleNotification[],
): OperationInput | null {
  const first = notifications[0];
  if (!first) return null;
  return {
    operationType: 'Create',
    resourceBody: {
      id: outboxDocumentId(Number(first.properties.lifecycleSequence)),
      kind: 'outbox',
      deviceId,
      // Plain JSON: strings and the twin-like body the domain built.
      notifications: notifications as unknown as JSONObject[],
    },
  };
}

/** A commit's write, or one outside the ledger (replaceDevice, replaceModule). */
type StoreWrite = IdentityWrite;

/** The twin's part of an identity write; `missing`: the twin is not stored yet. */
function twinOperationOf(w: StoreWrite, missing: boolean): OperationInput | null {
  const now = () => new Date().toISOString();
  const fresh = (draft: DeviceDraft | ModuleDraft, state: TwinState | undefined) => ({
    operationType: 'Upsert' as const,
    resourceBody: toTwinDocument(
      freshTwin(twinIdentityOf(draft), state ?? newTwinState(now())),
    ) as unknown as JSONObject,
  });
  switch (w.op) {
    case 'createDevice':
    case 'createModule':
    case 'replaceModule':
      // A new identity (or a module taking over an old generation's document) starts afresh.
      return fresh(w.draft, w.twin);
    case 'replaceDevice':
    case 'updateModule': {
      if (missing) return fresh(w.draft, w.twin?.twin);
      const id = twinDocumentId('moduleId' in w.draft ? w.draft.moduleId : null);
      if (w.twin) {
        const twin = { ...w.twin.twin, ...twinIdentityOf(w.draft) };
        return w.twin.revision === null
          ? { operationType: 'Upsert', resourceBody: toTwinDocument(twin) as unknown as JSONObject }
          : {
              operationType: 'Replace',
              id,
              resourceBody: toTwinDocument(twin) as unknown as JSONObject,
              ifMatch: w.twin.revision,
            };
      }
      return {
        operationType: 'Patch',
        id,
        resourceBody: { operations: identityPatch(twinIdentityOf(w.draft)) },
      };
    }
    case 'deleteDevice':
      return missing ? null : deleteOf(twinDocumentId(null), undefined);
    case 'deleteModule':
      return missing ? null : deleteOf(twinDocumentId(w.moduleId), undefined);
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

function operationOf(deviceId: string, w: StoreWrite): OperationInput {
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
    case 'updateModule':
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
function failure(deviceId: string, w: StoreWrite, result: OperationResponse): unknown {
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
    case 'updateModule':
      return translateCosmosError(
        { statusCode: status },
        {
          notFound: [
            'ModuleNotFound',
            `Module '${w.draft.moduleId}' is not registered on device '${deviceId}'`,
          ],
          preconditionFailed: [
            'PreconditionFailed',
            `Module '${w.draft.moduleId}' was changed by someone else: read it again`,
          ],
        },
      );
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
