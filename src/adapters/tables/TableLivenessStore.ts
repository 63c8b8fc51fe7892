import { odata, RestError, TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { RegistryError } from '../../domain/errors/RegistryError';
import type { LivenessAlert } from '../../domain/liveness/LivenessAlert';
import {
  indexDeadline,
  type LivenessRecord,
  type LivenessState,
} from '../../domain/liveness/LivenessRecord';
import {
  refKey,
  type AlertFilter,
  type DueEntry,
  type IdentityRef,
  type LivenessStore,
  type LivenessWrite,
  type PipelineProgress,
  type StoredAlert,
  type StoredLiveness,
  type WriteOutcome,
} from '../../ports/LivenessStore';
import type { Page } from '../../ports/RegistryStore';
import {
  livenessRecordSchema,
  storedAlertSchema,
  type AlertEntity,
  type StateEntity,
} from './livenessEntities';
import type { LivenessKeys } from './livenessKeys';

const MAX_TRANSACTION_ACTIONS = 100;
const META_PARTITION = 'meta';
const tokenSchema = z.object({ i: z.number().int().min(0), t: z.string().optional() });

const statusOf = (e: unknown) => (e instanceof RestError ? e.statusCode : undefined);

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/**
 * The last-seen map in Azure Table storage. Rows of one partition (a hash of the device ID):
 * `s|device|module` entries, `d|deadline|device|module` index rows, `a|time|kind|device|module`
 * alerts. An entry's change, its index move and its alerts are one atomic transaction.
 */
export class TableLivenessStore implements LivenessStore {
  /** Entity operations sent, for benchmarks and tests. */
  readonly counters = { reads: 0, writeRequests: 0, entityWrites: 0, queries: 0, entitiesRead: 0 };

  constructor(
    private readonly table: TableClient,
    private readonly keys: LivenessKeys,
  ) {}

  async readMany(refs: readonly IdentityRef[]): Promise<Map<string, StoredLiveness>> {
    const found = new Map<string, StoredLiveness>();
    await inParallel(refs, 32, async (ref) => {
      this.counters.reads++;
      try {
        const entity = await this.table.getEntity<StateEntity>(
          this.keys.partitionOf(ref.deviceId),
          this.keys.state(ref),
        );
        this.counters.entitiesRead++;
        found.set(refKey(ref), { record: parseRecord(entity.record), etag: entity.etag });
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    });
    return found;
  }

  async readModules(deviceId: string): Promise<StoredLiveness[]> {
    const { from, to } = this.keys.modulesOf(deviceId);
    const pk = this.keys.partitionOf(deviceId);
    const out: StoredLiveness[] = [];
    this.counters.queries++;
    for await (const e of this.table.listEntities<StateEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${pk} and RowKey ge ${from} and RowKey lt ${to}`,
      },
    })) {
      this.counters.entitiesRead++;
      out.push({ record: parseRecord(e.record), etag: e.etag });
    }
    return out;
  }

  async write(writes: readonly LivenessWrite[]): Promise<WriteOutcome> {
    const lost: IdentityRef[] = [];
    const etags = new Map<string, string>();
    const purges = writes.filter((w) => w.record === null);
    const byPartition = new Map<string, LivenessWrite[]>();
    for (const w of writes) {
      if (w.record === null) continue;
      const pk = this.keys.partitionOf(w.ref.deviceId);
      byPartition.set(pk, [...(byPartition.get(pk) ?? []), w]);
    }
    // Each write's state row is the first of its actions; sub-responses come back in action
    // order (updates carry no row key), so etags are matched by position.
    type Transaction = {
      actions: TransactionAction[];
      states: { index: number; ref: IdentityRef }[];
    };
    const transactions: Transaction[] = [];
    for (const [pk, group] of byPartition) {
      let current: Transaction = { actions: [], states: [] };
      for (const w of group) {
        const actions = this.actionsFor(pk, w);
        if (current.actions.length + actions.length > MAX_TRANSACTION_ACTIONS) {
          transactions.push(current);
          current = { actions: [], states: [] };
        }
        current.states.push({ index: current.actions.length, ref: w.ref });
        current.actions.push(...actions);
      }
      if (current.actions.length) transactions.push(current);
    }
    await inParallel(transactions, 16, async ({ actions, states }) => {
      this.counters.writeRequests++;
      this.counters.entityWrites += actions.length;
      try {
        const response = await this.table.submitTransaction(actions);
        for (const { index, ref } of states) {
          const etag = response.subResponses[index]?.etag;
          if (etag) etags.set(refKey(ref), etag);
        }
      } catch (error) {
        // 412: an etag moved; 409: created meanwhile; 404: removed meanwhile. Re-read and retry.
        const status = statusOf(error);
        if (status !== 412 && status !== 409 && status !== 404) throw error;
        lost.push(...states.map((s) => s.ref));
      }
    });
    await inParallel(purges, 16, async (w) => {
      if (!(await this.purge(w))) lost.push(w.ref);
    });
    return { lost, etags };
  }

  /**
   * Removes an entry: conditionally (transactions cannot carry an etag on a delete), then its
   * index row. A crash in between leaves an index row without entry, which the sweep drops.
   */
  private async purge(w: LivenessWrite): Promise<boolean> {
    const pk = this.keys.partitionOf(w.ref.deviceId);
    this.counters.writeRequests++;
    this.counters.entityWrites++;
    if (w.etag !== null) {
      try {
        await this.table.deleteEntity(pk, this.keys.state(w.ref), { etag: w.etag });
      } catch (error) {
        if (statusOf(error) === 412) return false;
        if (statusOf(error) !== 404) throw error;
      }
    }
    if (w.indexedDeadline !== null) {
      this.counters.writeRequests++;
      this.counters.entityWrites++;
      await this.table
        .deleteEntity(pk, this.keys.due(w.ref, w.indexedDeadline))
        .catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
    }
    return true;
  }

  async listDue(until: string, limit: number): Promise<DueEntry[]> {
    const due: DueEntry[] = [];
    const upper = `d|${until}~`;
    await inParallel(this.keys.allPartitions(), 16, async (pk) => {
      this.counters.queries++;
      const rows = this.table.listEntities<{
        deviceId: string;
        moduleId: string;
        deadline: string;
      }>({
        queryOptions: {
          filter: odata`PartitionKey eq ${pk} and RowKey ge ${'d|'} and RowKey lt ${upper}`,
          select: ['deviceId', 'moduleId', 'deadline'],
        },
      });
      for await (const row of rows) {
        this.counters.entitiesRead++;
        due.push({
          deviceId: row.deviceId,
          moduleId: row.moduleId === '' ? null : row.moduleId,
          deadline: row.deadline,
        });
        if (due.length >= limit) return;
      }
    });
    return due.sort((a, b) => (a.deadline < b.deadline ? -1 : 1)).slice(0, limit);
  }

  async listByState(
    state: LivenessState | undefined,
    pageSize: number,
    continuationToken?: string,
  ): Promise<Page<LivenessRecord>> {
    const items: LivenessRecord[] = [];
    let token = decodeToken(continuationToken);
    const partitions = this.keys.allPartitions();
    while (token && items.length < pageSize) {
      const pk = partitions[token.i];
      if (pk === undefined) {
        token = undefined;
        break;
      }
      const filter = state
        ? odata`PartitionKey eq ${pk} and RowKey ge ${'s|'} and RowKey lt ${'s}'} and state eq ${state}`
        : odata`PartitionKey eq ${pk} and RowKey ge ${'s|'} and RowKey lt ${'s}'}`;
      this.counters.queries++;
      const pages = this.table.listEntities<StateEntity>({ queryOptions: { filter } }).byPage({
        maxPageSize: pageSize - items.length,
        ...(token.t ? { continuationToken: token.t } : {}),
      });
      let page;
      try {
        page = await pages.next();
      } catch (error) {
        if (statusOf(error) === 400) throw badToken();
        throw error;
      }
      const value = page.done ? undefined : page.value;
      for (const e of value ?? []) {
        const record = parseRecord(e.record);
        if (record.deletedAt === null) items.push(record);
      }
      token = value?.continuationToken
        ? { i: token.i, t: value.continuationToken }
        : { i: token.i + 1 };
    }
    return {
      items,
      continuationToken: token
        ? Buffer.from(JSON.stringify(token)).toString('base64url')
        : undefined,
    };
  }

  /** Alert rows under a prefix (`a`: the log, `q`: pending), oldest first. */
  private async alertRows(prefix: 'a' | 'q'): Promise<StoredAlert[]> {
    // Alerts are few; read them all from every partition and order by time.
    const all: StoredAlert[] = [];
    await inParallel(this.keys.allPartitions(), 16, async (pk) => {
      this.counters.queries++;
      for await (const e of this.table.listEntities<AlertEntity>({
        queryOptions: {
          filter: odata`PartitionKey eq ${pk} and RowKey ge ${`${prefix}|`} and RowKey lt ${`${prefix}}`}`,
        },
      })) {
        all.push(storedAlertSchema.parse(JSON.parse(e.alert)));
      }
    });
    return all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
  }

  async listAlerts(
    pageSize: number,
    continuationToken?: string,
    filter: AlertFilter = {},
  ): Promise<Page<StoredAlert>> {
    let all = await this.alertRows('a');
    if (filter.deviceId !== undefined) all = all.filter((a) => a.deviceId === filter.deviceId);
    if (filter.newestFirst) all.reverse();
    const start =
      continuationToken === undefined ? 0 : Number(decodeToken(continuationToken)?.i ?? 0);
    const items = all.slice(start, start + pageSize);
    const next = start + items.length;
    return {
      items,
      continuationToken:
        next < all.length
          ? Buffer.from(JSON.stringify({ i: next })).toString('base64url')
          : undefined,
    };
  }

  async listPendingAlerts(limit: number): Promise<LivenessAlert[]> {
    const pending = await this.alertRows('q');
    return pending.slice(0, limit).map(({ id: _id, ...alert }) => alert);
  }

  async completeAlerts(alerts: readonly LivenessAlert[]): Promise<void> {
    await inParallel(alerts, 16, async (alert) => {
      const ref = { deviceId: alert.deviceId, moduleId: alert.moduleId };
      try {
        await this.table.deleteEntity(
          this.keys.partitionOf(alert.deviceId),
          this.keys.pendingAlert(this.keys.alert(ref, alert.at, alert.kind)),
        );
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    });
  }

  async countByState(): Promise<Record<LivenessState, number>> {
    const counts: Record<LivenessState, number> = { neverSeen: 0, online: 0, silent: 0 };
    await inParallel(this.keys.allPartitions(), 16, async (pk) => {
      this.counters.queries++;
      for await (const e of this.table.listEntities<StateEntity>({
        queryOptions: {
          filter: odata`PartitionKey eq ${pk} and RowKey ge ${'s|'} and RowKey lt ${'s}'}`,
          select: ['state', 'record'],
        },
      })) {
        const record = parseRecord(e.record);
        if (record.deletedAt === null) counts[record.state]++;
      }
    });
    return counts;
  }

  async recordProgress(progress: readonly PipelineProgress[]): Promise<void> {
    await Promise.all(
      progress.map((p) =>
        this.table.upsertEntity(
          { partitionKey: META_PARTITION, rowKey: `progress|${p.source}`, ...p },
          'Replace',
        ),
      ),
    );
  }

  async readProgress(): Promise<PipelineProgress[]> {
    const out: PipelineProgress[] = [];
    for await (const e of this.table.listEntities<PipelineProgress>({
      queryOptions: {
        filter: odata`PartitionKey eq ${META_PARTITION} and RowKey ge ${'progress|'} and RowKey lt ${'progress}'}`,
      },
    })) {
      out.push({ source: e.source, newestEnqueued: e.newestEnqueued, processedAt: e.processedAt });
    }
    return out;
  }

  private actionsFor(pk: string, w: LivenessWrite): TransactionAction[] {
    const record = w.record as LivenessRecord;
    const actions: TransactionAction[] = [];
    const entity: StateEntity = {
      partitionKey: pk,
      rowKey: this.keys.state(w.ref),
      state: record.state,
      record: JSON.stringify(record),
    };
    actions.push(
      w.etag === null ? ['create', entity] : ['update', entity, 'Replace', { etag: w.etag }],
    );
    const filed = indexDeadline(record);
    if (w.indexedDeadline !== filed) {
      if (w.indexedDeadline !== null)
        actions.push([
          'delete',
          { partitionKey: pk, rowKey: this.keys.due(w.ref, w.indexedDeadline) },
        ]);
      if (filed !== null) {
        const deadline = filed;
        actions.push([
          'upsert',
          {
            partitionKey: pk,
            rowKey: this.keys.due(w.ref, deadline),
            deviceId: w.ref.deviceId,
            moduleId: w.ref.moduleId ?? '',
            deadline,
          },
          'Replace',
        ]);
      }
    }
    for (const alert of w.alerts) {
      const rowKey = this.keys.alert(w.ref, alert.at, alert.kind);
      const stored: StoredAlert = { ...alert, id: `${pk}|${rowKey}` };
      // 'create', not upsert: the same transition can never be recorded twice.
      const row: AlertEntity = { partitionKey: pk, rowKey, alert: JSON.stringify(stored) };
      actions.push(['create', row]);
      // The outbox of alerts: published and cleared after the commit, or by the next sweep.
      actions.push(['create', { ...row, rowKey: this.keys.pendingAlert(rowKey) }]);
    }
    return actions;
  }
}

function parseRecord(json: string): LivenessRecord {
  return livenessRecordSchema.parse(JSON.parse(json));
}

const badToken = () =>
  new RegistryError(
    'ArgumentInvalid',
    'The continuation token is not one this service issued: start again without it',
  );

function decodeToken(token: string | undefined): z.infer<typeof tokenSchema> | undefined {
  if (token === undefined) return { i: 0 };
  try {
    return tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw badToken();
  }
}
