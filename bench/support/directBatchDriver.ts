import type { Container, JSONObject, OperationInput, OperationResponse } from '@azure/cosmos';
import type { DeviceDraft } from '../../src/domain/identity/DeviceIdentity';
import { NEVER } from '../../src/domain/identity/never';
import { newGenerationId } from '../../src/domain/identity/newGenerationId';
import { generateKey } from '../../src/domain/identity/resolveAuthentication';
import { buildLifecycleNotification } from '../../src/domain/lifecycle/buildLifecycleNotification';
import type { LifecycleOperation } from '../../src/domain/lifecycle/LifecycleNotification';
import { sequenceNotifications } from '../../src/domain/lifecycle/sequenceNotifications';
import { newTwinState } from '../../src/domain/twin/Twin';
import { twinIdentityOf } from '../../src/domain/twin/twinIdentityOf';
import { freshTwin, toTwinDocument } from '../../src/adapters/cosmos/twinDocuments';

export type WriteOp = 'create' | 'get' | 'update' | 'delete';
export type OpDriver = Record<WriteOp, (id: string) => Promise<void>>;

interface Known {
  draft: DeviceDraft;
  deviceEtag: string;
  ledgerEtag: string;
  sequence: number;
}

const HUB = 'localhost';

const deviceBody = (draft: DeviceDraft) =>
  ({ id: 'device', kind: 'device', ...draft }) as unknown as JSONObject;

/**
 * The fair floor of a registry write: the same transactional batch the registry commits
 * (ledger, identity, twin, outbox record with the notification) made directly with
 * @azure/cosmos, from state this process keeps, so nothing is read first. What the API costs
 * above it is what the host adds; what it costs above the bare single-document path is what
 * the design (exactly-once notifications, twins, the ledger) costs.
 */
export function directBatchDriver(container: Container): OpDriver {
  const known = new Map<string, Known>();
  const entry = (id: string): Known => {
    const k = known.get(id);
    if (!k) throw new Error(`direct batch: ${id} was never created`);
    return k;
  };

  async function batch(id: string, operations: OperationInput[]): Promise<OperationResponse[]> {
    const results = (await container.items.batch(operations, id)).result ?? [];
    const failed = results.find((r) => r.statusCode >= 400);
    if (failed || results.length !== operations.length)
      throw new Error(`direct batch ${id}: status ${failed?.statusCode ?? results.length}`);
    return results;
  }

  const outbox = (op: LifecycleOperation, draft: DeviceDraft, previous: number, now: Date) => {
    const { notifications, last } = sequenceNotifications(
      [buildLifecycleNotification(op, draft, { hubName: HUB, now })],
      previous,
      now,
    );
    const operation: OperationInput = {
      operationType: 'Create',
      resourceBody: {
        id: `outbox.${String(last).padStart(17, '0')}`,
        kind: 'outbox',
        deviceId: draft.deviceId,
        notifications: notifications as unknown as JSONObject[],
      },
    };
    return { operation, last };
  };
  const ledger = (draft: DeviceDraft, sequence: number, live: boolean) => ({
    id: 'ledger',
    kind: 'ledger',
    deviceId: draft.deviceId,
    sequence,
    generationId: live ? draft.generationId : null,
    modules: 0,
    hadModules: false,
    ...(live ? {} : { ttl: 30 * 86_400 }),
  });
  const etag = (r: OperationResponse | undefined): string => {
    if (typeof r?.eTag !== 'string') throw new Error('direct batch: no etag returned');
    return r.eTag;
  };

  return {
    create: async (id) => {
      const now = new Date();
      const at = now.toISOString();
      const draft: DeviceDraft = {
        deviceId: id,
        generationId: newGenerationId(now),
        status: 'enabled',
        statusReason: null,
        statusUpdatedTime: NEVER,
        authentication: {
          type: 'sas',
          symmetricKey: { primaryKey: generateKey(), secondaryKey: generateKey() },
          x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
        },
        capabilities: { iotEdge: false },
        deviceScope: null,
        parentScopes: null,
      };
      const { operation, last } = outbox('createDeviceIdentity', draft, 0, now);
      const results = await batch(id, [
        { operationType: 'Create', resourceBody: ledger(draft, last, true) },
        { operationType: 'Create', resourceBody: deviceBody(draft) },
        {
          operationType: 'Upsert',
          resourceBody: toTwinDocument(
            freshTwin(twinIdentityOf(draft), newTwinState(at)),
          ) as unknown as JSONObject,
        },
        operation,
      ]);
      known.set(id, {
        draft,
        ledgerEtag: etag(results[0]),
        deviceEtag: etag(results[1]),
        sequence: last,
      });
    },
    get: async (id) => {
      const { resource, statusCode } = await container.item('device', id).read<DeviceDraft>();
      if (statusCode !== 200 || resource?.deviceId !== id)
        throw new Error(`direct batch get ${id}: status ${statusCode}`);
    },
    update: async (id) => {
      const k = entry(id);
      const now = new Date();
      const draft: DeviceDraft = {
        ...k.draft,
        status: 'disabled',
        statusUpdatedTime: now.toISOString(),
      };
      const { operation, last } = outbox('updateDeviceIdentityStatus', draft, k.sequence, now);
      const twin = twinIdentityOf(draft);
      const results = await batch(id, [
        {
          operationType: 'Replace',
          id: 'ledger',
          resourceBody: ledger(draft, last, true),
          ifMatch: k.ledgerEtag,
        },
        {
          operationType: 'Replace',
          id: 'device',
          resourceBody: deviceBody(draft),
          ifMatch: k.deviceEtag,
        },
        {
          operationType: 'Patch',
          id: 'twin',
          resourceBody: {
            operations: [
              { op: 'set', path: '/status', value: twin.status },
              { op: 'set', path: '/statusUpdateTime', value: twin.statusUpdateTime },
            ],
          },
        },
        operation,
      ]);
      known.set(id, {
        draft,
        ledgerEtag: etag(results[0]),
        deviceEtag: etag(results[1]),
        sequence: last,
      });
    },
    delete: async (id) => {
      const k = entry(id);
      const now = new Date();
      const { operation, last } = outbox('deleteDeviceIdentity', k.draft, k.sequence, now);
      await batch(id, [
        {
          operationType: 'Replace',
          id: 'ledger',
          resourceBody: ledger(k.draft, last, false),
          ifMatch: k.ledgerEtag,
        },
        { operationType: 'Delete', id: 'device', ifMatch: k.deviceEtag } as OperationInput,
        { operationType: 'Delete', id: 'twin' },
        operation,
      ]);
      known.delete(id);
    },
  };
}
