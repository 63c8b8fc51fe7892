import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import {
  indexDeadline,
  type LivenessRecord,
  type LivenessState,
} from '../../src/domain/liveness/LivenessRecord';
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
} from '../../src/ports/LivenessStore';
import type { Page } from '../../src/ports/RegistryStore';
import { LivenessKeys } from '../../src/adapters/tables/livenessKeys';

/**
 * The liveness store port in memory, for unit tests of the rules and for simulating fleets far
 * larger than Azurite holds (bench:liveness): the same contract (etag races, a deadline index,
 * alerts with their pending marks, an alert recorded twice refused like TableLivenessStore's
 * `create`) and the same counters, so a sweep's reads can be compared across sizes. The index
 * groups entries by deadline, so a million entries stay cheap to file and to scan in order.
 * Counts per state, the state index and the time-ordered log are kept like the table's, and
 * their reads counted the same way (a summary reads `partitions` counter rows).
 */
export class InMemoryLivenessStore implements LivenessStore {
  readonly counters = { reads: 0, writeRequests: 0, entityWrites: 0, queries: 0, entitiesRead: 0 };
  private readonly entries = new Map<string, StoredLiveness>();
  /** Per partition: deadline (ISO) → keys filed under it; `deadlines` keeps them in order. */
  private readonly index = new Map<
    string,
    { byDeadline: Map<string, Set<string>>; deadlines: string[] }
  >();
  private readonly keys: LivenessKeys;
  private readonly alertIds = new Set<string>();
  private readonly pending = new Map<string, LivenessAlert>();
  private progress: PipelineProgress[] = [];
  private version = 0;
  private readonly counts: Record<LivenessState, number> = { neverSeen: 0, online: 0, silent: 0 };
  /** State → keys in it, in insertion order (a listing's pages follow it). */
  private readonly byState = new Map<LivenessState, Set<string>>([
    ['neverSeen', new Set()],
    ['online', new Set()],
    ['silent', new Set()],
  ]);
  /** The alert log in time order (then id), as the table's log partition keeps it. */
  private log: StoredAlert[] = [];
  private readonly logged = new Set<string>();

  constructor(private readonly partitions = 64) {
    this.keys = new LivenessKeys(partitions);
  }

  sweepRanges(): string[] {
    return this.keys.allPartitions();
  }

  private partitionOf(key: string): string {
    return this.keys.partitionOf(key.slice(0, key.indexOf('\u0000')));
  }

  readMany(refs: readonly IdentityRef[]): Promise<Map<string, StoredLiveness>> {
    const found = new Map<string, StoredLiveness>();
    for (const ref of refs) {
      this.counters.reads++;
      const entry = this.entries.get(refKey(ref));
      if (entry) {
        this.counters.entitiesRead++;
        found.set(refKey(ref), entry);
      }
    }
    return Promise.resolve(found);
  }

  readModules(deviceId: string): Promise<StoredLiveness[]> {
    this.counters.queries++;
    return Promise.resolve(
      [...this.entries.values()].filter(
        (e) => e.record.deviceId === deviceId && e.record.moduleId !== null,
      ),
    );
  }

  write(writes: readonly LivenessWrite[]): Promise<WriteOutcome> {
    const lost: IdentityRef[] = [];
    const etags = new Map<string, string>();
    for (const w of writes) {
      this.counters.writeRequests++;
      const key = refKey(w.ref);
      const current = this.entries.get(key);
      const ids = w.alerts.map((alert) => `${alert.at}|${alert.kind}|${key}`);
      if (
        ((current?.etag ?? null) !== w.etag && !(w.record === null && w.etag === null)) ||
        ids.some((id) => this.alertIds.has(id))
      ) {
        lost.push(w.ref);
        continue;
      }
      const filed = w.record ? indexDeadline(w.record) : null;
      if (w.indexedDeadline !== filed) {
        if (w.indexedDeadline !== null) this.unfile(w.indexedDeadline, key);
        if (filed !== null) this.file(filed, key);
      }
      const was = countedState(w.before);
      const is = countedState(w.record);
      if (was !== is && !(w.record === null && w.etag === null)) {
        if (was !== null) {
          this.counts[was]--;
          this.byState.get(was)?.delete(key);
        }
        if (is !== null) {
          this.counts[is]++;
          this.byState.get(is)?.add(key);
        }
      }
      if (w.record === null) {
        if (current && w.etag !== null) {
          this.entries.delete(key);
          this.counters.entityWrites++;
        }
      } else {
        const etag = String(++this.version);
        this.entries.set(key, { record: w.record, etag });
        etags.set(key, etag);
        this.counters.entityWrites++;
      }
      for (const alert of w.alerts) {
        const id = `${alert.at}|${alert.kind}|${key}`;
        this.alertIds.add(id);
        this.pending.set(id, alert);
        this.counters.entityWrites += 2;
      }
      this.addToLog(w.alerts);
    }
    return Promise.resolve({ lost, etags });
  }

  logAlerts(alerts: readonly LivenessAlert[]): Promise<void> {
    this.addToLog(alerts);
    return Promise.resolve();
  }

  private addToLog(alerts: readonly LivenessAlert[]): void {
    for (const alert of alerts) {
      const id = `${alert.at}|${alert.kind}|${refKey(alert)}`;
      this.counters.entityWrites += 2;
      if (this.logged.has(id)) continue;
      this.logged.add(id);
      const stored = { ...alert, id };
      let lo = 0;
      let hi = this.log.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const m = this.log[mid] as StoredAlert;
        if (m.at < alert.at || (m.at === alert.at && m.id < id)) lo = mid + 1;
        else hi = mid;
      }
      this.log.splice(lo, 0, stored);
    }
  }

  listDue(until: string, limit: number, range?: string, after?: DueEntry): Promise<DueEntry[]> {
    const due: DueEntry[] = [];
    for (const pk of range === undefined ? this.keys.allPartitions() : [range]) {
      this.counters.queries++;
      const part = this.index.get(pk);
      if (!part) continue;
      const afterKey = after ? refKey(after) : undefined;
      for (let i = after ? lowerBound(part.deadlines, after.deadline) : 0; ; i++) {
        const deadline = part.deadlines[i];
        if (deadline === undefined || deadline > until || due.length >= limit) break;
        // Within a deadline, in key order, as the table's row keys.
        for (const key of [...(part.byDeadline.get(deadline) ?? [])].sort()) {
          if (due.length >= limit) break;
          if (after && deadline === after.deadline && key <= (afterKey as string)) continue;
          const [deviceId = '', moduleId = ''] = key.split('\u0000');
          due.push({ deviceId, moduleId: moduleId === '' ? null : moduleId, deadline });
          this.counters.entitiesRead++;
        }
      }
    }
    return Promise.resolve(
      range === undefined
        ? due.sort((a, b) => (a.deadline < b.deadline ? -1 : 1)).slice(0, limit)
        : due,
    );
  }

  /** Pages of the state index: offsets stand in for the table's continuation tokens. */
  listByState(
    state: LivenessState | undefined,
    pageSize: number,
    continuationToken?: string,
  ): Promise<Page<LivenessRecord>> {
    const start = continuationToken === undefined ? 0 : Number(continuationToken);
    this.counters.queries++;
    const keys = state === undefined ? this.entries.keys() : (this.byState.get(state) ?? []);
    const items: LivenessRecord[] = [];
    let seen = 0;
    let more = false;
    for (const key of keys) {
      if (seen++ < start) continue;
      if (items.length >= pageSize) {
        more = true;
        break;
      }
      const record = this.entries.get(key)?.record;
      // The table's rows of online entries are point-read: two entities each.
      this.counters.entitiesRead += state === 'online' ? 2 : 1;
      if (record && record.deletedAt === null) items.push(record);
    }
    return Promise.resolve({
      items,
      continuationToken: more ? String(start + items.length) : undefined,
    });
  }

  listAlerts(
    pageSize: number,
    continuationToken?: string,
    filter: AlertFilter = {},
  ): Promise<Page<StoredAlert>> {
    this.counters.queries++;
    let all = this.log;
    if (filter.deviceId !== undefined) all = all.filter((a) => a.deviceId === filter.deviceId);
    const start = continuationToken === undefined ? 0 : Number(continuationToken);
    const items = filter.newestFirst
      ? all.slice(Math.max(0, all.length - start - pageSize), all.length - start).reverse()
      : all.slice(start, start + pageSize);
    this.counters.entitiesRead += items.length;
    const next = start + items.length;
    return Promise.resolve({
      items,
      continuationToken: next < all.length ? String(next) : undefined,
    });
  }

  listPendingAlerts(limit: number, range?: string): Promise<LivenessAlert[]> {
    return Promise.resolve(
      [...this.pending.values()]
        .filter((a) => range === undefined || this.keys.partitionOf(a.deviceId) === range)
        .slice(0, limit),
    );
  }

  completeAlerts(alerts: readonly LivenessAlert[]): Promise<void> {
    const done = new Set(alerts.map((a) => `${a.at}|${a.kind}|${refKey(a)}`));
    for (const id of done) this.pending.delete(id);
    return Promise.resolve();
  }

  countByState(): Promise<Record<LivenessState, number>> {
    // One counter row per table partition, as the table keeps them.
    this.counters.reads += this.partitions;
    this.counters.entitiesRead += this.partitions;
    return Promise.resolve({ ...this.counts });
  }

  recordProgress(progress: readonly PipelineProgress[]): Promise<void> {
    this.progress = [...progress];
    return Promise.resolve();
  }

  readProgress(): Promise<PipelineProgress[]> {
    return Promise.resolve(this.progress);
  }

  private file(deadline: string, key: string): void {
    const pk = this.partitionOf(key);
    let part = this.index.get(pk);
    if (!part) {
      part = { byDeadline: new Map(), deadlines: [] };
      this.index.set(pk, part);
    }
    let keys = part.byDeadline.get(deadline);
    if (!keys) {
      keys = new Set();
      part.byDeadline.set(deadline, keys);
      part.deadlines.splice(lowerBound(part.deadlines, deadline), 0, deadline);
    }
    keys.add(key);
    this.counters.entityWrites++;
  }

  private unfile(deadline: string, key: string): void {
    const part = this.index.get(this.partitionOf(key));
    const keys = part?.byDeadline.get(deadline);
    if (!part || !keys?.delete(key)) return;
    this.counters.entityWrites++;
    if (keys.size === 0) {
      part.byDeadline.delete(deadline);
      part.deadlines.splice(lowerBound(part.deadlines, deadline), 1);
    }
  }
}

/** A page from an offset; the token is the offset of the next page. */

function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
