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
  countedState,
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
  type IndexEntity,
  type StateEntity,
} from './livenessEntities';
import type { LivenessKeys } from './livenessKeys';

const MAX_TRANSACTION_ACTIONS = 100;
/** Attempts of a transaction whose only conflict was its partition's counter row. */
const COUNTER_ATTEMPTS = 10;
const STATES: readonly LivenessState[] = ['neverSeen', 'online', 'silent'];
type Counts = Record<LivenessState, number>;
/** A partition's counter row as read: etag null while it does not exist. */
interface CounterRow {
  counts: Counts;
  etag: string | null;
}
const zero = (): Counts => ({ neverSeen: 0, online: 0, silent: 0 });
const META_PARTITION = 'meta';
const tokenSchema = z.object({ i: z.number().int().min(0), t: z.string().optional() });

const statusOf = (e: unknown) => (e instanceof RestError ? e.statusCode : undefined);

/**
 * Runs `work` over the items, `limit` at a time. After a failure no new item starts, and it is
 * thrown only once the running ones have settled: nothing is left writing behind the caller.
 */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !failure) {
        try {
          await work(items[next++] as T);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
}

/**
 * The last-seen map in Azure Table storage. Rows of one partition (a hash of the device ID):
 * `s|device|module` entries, `d|deadline|device|module` deadline index rows,
 * `x|state|device|module` state index rows, `c|counts` (the partition's entries per state),
 * `a|time|kind|device|module` alerts. An entry's change, its index moves, its partition's
 * counts and its alerts are one atomic transaction, so the counts are exact after any crash
 * or replay. The alert log is copied after the commit into two time-ordered partitions.
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
    const committed: LivenessAlert[] = [];
    // A partition's transactions go one after the other: each carries its counter row.
    await inParallel([...byPartition], 16, async ([pk, group]) => {
      const chunks: LivenessWrite[][] = [];
      let chunk: LivenessWrite[] = [];
      let size = 0;
      for (const w of group) {
        const n = this.actionsFor(pk, w).length;
        // One action of each transaction is kept for the counter row.
        if (size + n > MAX_TRANSACTION_ACTIONS - 1 && chunk.length > 0) {
          chunks.push(chunk);
          chunk = [];
          size = 0;
        }
        chunk.push(w);
        size += n;
      }
      if (chunk.length) chunks.push(chunk);
      const counter: { row?: CounterRow } = {};
      for (const c of chunks) await this.commit(pk, c, counter, { lost, etags, committed });
    });
    await inParallel(purges, 16, async (w) => {
      if (!(await this.purge(w))) lost.push(w.ref);
    });
    // The time-ordered log; a failure here leaves the alerts pending, and the relay logs them.
    await this.logAlerts(committed);
    return { lost, etags };
  }

  /**
   * One transaction of a partition: its writes' actions and, when they change what the
   * partition counts, its counter row (conditional on the etag it was read with). A conflict
   * on the counter alone (another writer of the partition) is retried with the counter re-read;
   * any other conflict loses the writes, which their caller re-reads.
   */
  private async commit(
    pk: string,
    group: readonly LivenessWrite[],
    counter: { row?: CounterRow },
    out: { lost: IdentityRef[]; etags: Map<string, string>; committed: LivenessAlert[] },
  ): Promise<void> {
    const delta = zero();
    for (const w of group) {
      const was = countedState(w.before);
      const is = countedState(w.record);
      if (was !== null) delta[was]--;
      if (is !== null) delta[is]++;
    }
    const changesCounts = STATES.some((s) => delta[s] !== 0);
    for (let attempt = 1; ; attempt++) {
      // Each write's state row is the first of its actions; sub-responses come back in action
      // order (updates carry no row key), so etags are matched by position.
      const actions: TransactionAction[] = [];
      const states: { index: number; ref: IdentityRef }[] = [];
      for (const w of group) {
        states.push({ index: actions.length, ref: w.ref });
        actions.push(...this.actionsFor(pk, w));
      }
      let used: CounterRow | undefined;
      let next: Counts | undefined;
      if (changesCounts) {
        used = counter.row ?? (await this.readCounter(pk));
        const counts = used.counts;
        next = {
          neverSeen: counts.neverSeen + delta.neverSeen,
          online: counts.online + delta.online,
          silent: counts.silent + delta.silent,
        };
        const entity = { partitionKey: pk, rowKey: this.keys.counts(), ...next };
        actions.push(
          used.etag === null
            ? ['create', entity]
            : ['update', entity, 'Replace', { etag: used.etag }],
        );
      }
      this.counters.writeRequests++;
      this.counters.entityWrites += actions.length;
      try {
        const response = await this.table.submitTransaction(actions);
        for (const { index, ref } of states) {
          const etag = response.subResponses[index]?.etag;
          if (etag) out.etags.set(refKey(ref), etag);
        }
        if (next) {
          const etag = response.subResponses[actions.length - 1]?.etag;
          if (etag) counter.row = { counts: next, etag };
          else delete counter.row;
        }
        out.committed.push(...group.flatMap((w) => w.alerts));
        return;
      } catch (error) {
        delete counter.row;
        // 412: an etag moved; 409: created meanwhile; 404: removed meanwhile. Re-read and retry.
        const status = statusOf(error);
        if (status !== 412 && status !== 409 && status !== 404) throw error;
        if (used && attempt < COUNTER_ATTEMPTS) {
          const fresh = await this.readCounter(pk);
          counter.row = fresh;
          if (fresh.etag !== used.etag) continue;
        }
        out.lost.push(...states.map((s) => s.ref));
        return;
      }
    }
  }

  private async readCounter(pk: string): Promise<CounterRow> {
    this.counters.reads++;
    try {
      const e = await this.table.getEntity<Counts>(pk, this.keys.counts());
      this.counters.entitiesRead++;
      return {
        counts: { neverSeen: e.neverSeen ?? 0, online: e.online ?? 0, silent: e.silent ?? 0 },
        etag: e.etag,
      };
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      return { counts: zero(), etag: null };
    }
  }

  async logAlerts(alerts: readonly LivenessAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const rows = new Map<string, TransactionAction[]>([
      [this.keys.logPartition, []],
      [this.keys.newestLogPartition, []],
    ]);
    for (const alert of alerts) {
      const stored = this.stored(alert);
      const json = JSON.stringify(stored);
      rows.get(this.keys.logPartition)?.push([
        'upsert',
        {
          partitionKey: this.keys.logPartition,
          rowKey: this.keys.logRow(alert.at, stored.id),
          alert: json,
        },
        'Replace',
      ]);
      rows.get(this.keys.newestLogPartition)?.push([
        'upsert',
        {
          partitionKey: this.keys.newestLogPartition,
          rowKey: this.keys.newestLogRow(alert.at, stored.id),
          alert: json,
        },
        'Replace',
      ]);
    }
    const transactions = [...rows.values()].flatMap((actions) =>
      Array.from({ length: Math.ceil(actions.length / MAX_TRANSACTION_ACTIONS) }, (_, i) =>
        actions.slice(i * MAX_TRANSACTION_ACTIONS, (i + 1) * MAX_TRANSACTION_ACTIONS),
      ),
    );
    await inParallel(transactions, 8, async (actions) => {
      this.counters.writeRequests++;
      this.counters.entityWrites += actions.length;
      await this.table.submitTransaction(actions);
    });
  }

  /** The alert as its log rows hold it: its id names the row that recorded it. */
  private stored(alert: LivenessAlert): StoredAlert {
    const ref = { deviceId: alert.deviceId, moduleId: alert.moduleId };
    const pk = this.keys.partitionOf(alert.deviceId);
    return { ...alert, id: `${pk}|${this.keys.alert(ref, alert.at, alert.kind)}` };
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

  sweepRanges(): string[] {
    return this.keys.allPartitions();
  }

  async listDue(
    until: string,
    limit: number,
    range?: string,
    after?: DueEntry,
  ): Promise<DueEntry[]> {
    if (range !== undefined) return this.dueIn(range, until, limit, after);
    const due: DueEntry[] = [];
    await inParallel(this.keys.allPartitions(), 16, async (pk) => {
      due.push(...(await this.dueIn(pk, until, limit - due.length)));
    });
    return due.sort((a, b) => (a.deadline < b.deadline ? -1 : 1)).slice(0, limit);
  }

  /** One partition's due index rows, in key order (by deadline), after `after`. */
  private async dueIn(
    pk: string,
    until: string,
    limit: number,
    after?: DueEntry,
  ): Promise<DueEntry[]> {
    const due: DueEntry[] = [];
    if (limit <= 0) return due;
    const upper = `d|${until}~`;
    const filter = after
      ? odata`PartitionKey eq ${pk} and RowKey gt ${this.keys.due(after, after.deadline)} and RowKey lt ${upper}`
      : odata`PartitionKey eq ${pk} and RowKey ge ${'d|'} and RowKey lt ${upper}`;
    this.counters.queries++;
    const rows = this.table.listEntities<{ deviceId: string; moduleId: string; deadline: string }>({
      queryOptions: { filter, select: ['deviceId', 'moduleId', 'deadline'] },
    });
    for await (const row of rows) {
      this.counters.entitiesRead++;
      due.push({
        deviceId: row.deviceId,
        moduleId: row.moduleId === '' ? null : row.moduleId,
        deadline: row.deadline,
      });
      if (due.length >= limit) break;
    }
    return due;
  }

  /**
   * A state's entries through the state index (a page of n reads about n entities: the rows of
   * silent and never-seen entries carry the record; online ones, which change with every
   * heartbeat, are read by point), partition after partition. Without a state: every entry.
   */
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
      const range = state ? this.keys.stateRange(state) : { from: 's|', to: 's}' };
      this.counters.queries++;
      const pages = this.table
        .listEntities<IndexEntity>({
          queryOptions: {
            filter: odata`PartitionKey eq ${pk} and RowKey ge ${range.from} and RowKey lt ${range.to}`,
          },
        })
        .byPage({
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
      const byPoint: IdentityRef[] = [];
      for (const e of value ?? []) {
        this.counters.entitiesRead++;
        if (e.record !== undefined) {
          const record = parseRecord(e.record);
          if (record.deletedAt === null) items.push(record);
        } else byPoint.push({ deviceId: e.deviceId, moduleId: e.moduleId || null });
      }
      if (byPoint.length > 0) {
        const found = await this.readMany(byPoint);
        for (const ref of byPoint) {
          const record = found.get(refKey(ref))?.record;
          if (record && countedState(record) === state) items.push(record);
        }
      }
      token = value?.continuationToken
        ? { i: token.i, t: value.continuationToken }
        : { i: token.i + 1 };
    }
    return { items, continuationToken: token ? encodeToken(token) : undefined };
  }

  /**
   * The alert log, oldest or newest first, from its time-ordered partition: a page of n reads
   * n entities. One device's alerts come from its own partition (its `a|` rows, in time order).
   */
  async listAlerts(
    pageSize: number,
    continuationToken?: string,
    filter: AlertFilter = {},
  ): Promise<Page<StoredAlert>> {
    if (filter.deviceId !== undefined)
      return this.deviceAlerts(pageSize, continuationToken, filter);
    const token = decodeToken(continuationToken);
    const pk = filter.newestFirst ? this.keys.newestLogPartition : this.keys.logPartition;
    this.counters.queries++;
    const pages = this.table
      .listEntities<AlertEntity>({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } })
      .byPage({ maxPageSize: pageSize, ...(token?.t ? { continuationToken: token.t } : {}) });
    let page;
    try {
      page = await pages.next();
    } catch (error) {
      if (statusOf(error) === 400) throw badToken();
      throw error;
    }
    const value = page.done ? [] : page.value;
    const items = value.map((e) => {
      this.counters.entitiesRead++;
      return storedAlertSchema.parse(JSON.parse(e.alert));
    });
    const next = page.done ? undefined : page.value.continuationToken;
    return { items, continuationToken: next ? encodeToken({ i: 0, t: next }) : undefined };
  }

  private async deviceAlerts(
    pageSize: number,
    continuationToken: string | undefined,
    filter: AlertFilter,
  ): Promise<Page<StoredAlert>> {
    const deviceId = filter.deviceId as string;
    const pk = this.keys.partitionOf(deviceId);
    const all: StoredAlert[] = [];
    this.counters.queries++;
    for await (const e of this.table.listEntities<AlertEntity>({
      queryOptions: {
        filter: odata`PartitionKey eq ${pk} and RowKey ge ${'a|'} and RowKey lt ${'a}'} and deviceId eq ${deviceId}`,
      },
    })) {
      this.counters.entitiesRead++;
      all.push(storedAlertSchema.parse(JSON.parse(e.alert)));
    }
    all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
    if (filter.newestFirst) all.reverse();
    const start = decodeToken(continuationToken)?.i ?? 0;
    const items = all.slice(start, start + pageSize);
    const next = start + items.length;
    return {
      items,
      continuationToken: next < all.length ? encodeToken({ i: next }) : undefined,
    };
  }

  /** Alerts waiting to be published (few: the relay clears them), oldest first. */
  private async pendingRows(range?: string): Promise<StoredAlert[]> {
    const all: StoredAlert[] = [];
    const partitions = range === undefined ? this.keys.allPartitions() : [range];
    await inParallel(partitions, 16, async (pk) => {
      this.counters.queries++;
      for await (const e of this.table.listEntities<AlertEntity>({
        queryOptions: {
          filter: odata`PartitionKey eq ${pk} and RowKey ge ${'q|'} and RowKey lt ${'q}'}`,
        },
      })) {
        all.push(storedAlertSchema.parse(JSON.parse(e.alert)));
      }
    });
    return all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
  }

  async listPendingAlerts(limit: number, range?: string): Promise<LivenessAlert[]> {
    const pending = await this.pendingRows(range);
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
    const counts = zero();
    await inParallel(this.keys.allPartitions(), 16, async (pk) => {
      const row = await this.readCounter(pk);
      for (const state of STATES) counts[state] += row.counts[state];
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
    const was = countedState(w.before);
    const is = countedState(record);
    const indexRow = () => ({
      partitionKey: pk,
      rowKey: this.keys.stateIndex(is as LivenessState, w.ref),
      deviceId: w.ref.deviceId,
      moduleId: w.ref.moduleId ?? '',
      // Online rows change at every heartbeat: their listing reads the entry itself.
      ...(is === 'online' ? {} : { record: entity.record }),
    });
    if (was !== is) {
      if (was !== null)
        actions.push(['delete', { partitionKey: pk, rowKey: this.keys.stateIndex(was, w.ref) }]);
      if (is !== null) actions.push(['upsert', indexRow(), 'Replace']);
    } else if (is !== null && is !== 'online') actions.push(['upsert', indexRow(), 'Replace']);
    for (const alert of w.alerts) {
      const rowKey = this.keys.alert(w.ref, alert.at, alert.kind);
      const stored: StoredAlert = { ...alert, id: `${pk}|${rowKey}` };
      // 'create', not upsert: the same transition can never be recorded twice.
      const row: AlertEntity = {
        partitionKey: pk,
        rowKey,
        deviceId: alert.deviceId,
        alert: JSON.stringify(stored),
      };
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

const encodeToken = (token: z.infer<typeof tokenSchema>) =>
  Buffer.from(JSON.stringify(token)).toString('base64url');

function decodeToken(token: string | undefined): z.infer<typeof tokenSchema> | undefined {
  if (token === undefined) return { i: 0 };
  try {
    return tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw badToken();
  }
}
