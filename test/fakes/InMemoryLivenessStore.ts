import type { LivenessAlert } from '../../src/domain/liveness/LivenessAlert';
import {
  indexDeadline,
  type LivenessRecord,
  type LivenessState,
} from '../../src/domain/liveness/LivenessRecord';
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
} from '../../src/ports/LivenessStore';
import type { Page } from '../../src/ports/RegistryStore';

/**
 * The liveness store port in memory, for unit tests of the rules and for simulating fleets far
 * larger than Azurite holds (bench:liveness): the same contract (etag races, a deadline index,
 * alerts with their pending marks, an alert recorded twice refused like TableLivenessStore's
 * `create`) and the same counters, so a sweep's reads can be compared across sizes. The index
 * groups entries by deadline, so a million entries stay cheap to file and to scan in order.
 */
export class InMemoryLivenessStore implements LivenessStore {
  readonly counters = { reads: 0, writeRequests: 0, entityWrites: 0, queries: 0, entitiesRead: 0 };
  private readonly entries = new Map<string, StoredLiveness>();
  /** Deadline (ISO) → keys filed under it; `deadlines` keeps them in order. */
  private readonly index = new Map<string, Set<string>>();
  private deadlines: string[] = [];
  private readonly alerts: StoredAlert[] = [];
  private readonly alertIds = new Set<string>();
  private readonly pending = new Map<string, LivenessAlert>();
  private progress: PipelineProgress[] = [];
  private version = 0;

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
        this.alerts.push({ ...alert, id });
        this.pending.set(id, alert);
        this.counters.entityWrites += 2;
      }
    }
    return Promise.resolve({ lost, etags });
  }

  listDue(until: string, limit: number): Promise<DueEntry[]> {
    this.counters.queries++;
    const due: DueEntry[] = [];
    for (const deadline of this.deadlines) {
      if (deadline > until || due.length >= limit) break;
      for (const key of this.index.get(deadline) ?? []) {
        if (due.length >= limit) break;
        const [deviceId = '', moduleId = ''] = key.split('\u0000');
        due.push({ deviceId, moduleId: moduleId === '' ? null : moduleId, deadline });
        this.counters.entitiesRead++;
      }
    }
    return Promise.resolve(due);
  }

  listByState(
    state: LivenessState | undefined,
    pageSize: number,
    continuationToken?: string,
  ): Promise<Page<LivenessRecord>> {
    const all = [...this.entries.values()]
      .map((e) => e.record)
      .filter((r) => r.deletedAt === null && (state === undefined || r.state === state));
    return Promise.resolve(pageOf(all, pageSize, continuationToken));
  }

  listAlerts(
    pageSize: number,
    continuationToken?: string,
    filter: AlertFilter = {},
  ): Promise<Page<StoredAlert>> {
    let all = this.alerts.filter(
      (a) => filter.deviceId === undefined || a.deviceId === filter.deviceId,
    );
    if (filter.newestFirst) all = [...all].reverse();
    return Promise.resolve(pageOf(all, pageSize, continuationToken));
  }

  listPendingAlerts(limit: number): Promise<LivenessAlert[]> {
    return Promise.resolve([...this.pending.values()].slice(0, limit));
  }

  completeAlerts(alerts: readonly LivenessAlert[]): Promise<void> {
    const done = new Set(alerts.map((a) => `${a.at}|${a.kind}|${refKey(a)}`));
    for (const id of done) this.pending.delete(id);
    return Promise.resolve();
  }

  countByState(): Promise<Record<LivenessState, number>> {
    const counts: Record<LivenessState, number> = { neverSeen: 0, online: 0, silent: 0 };
    for (const { record } of this.entries.values())
      if (record.deletedAt === null) counts[record.state]++;
    return Promise.resolve(counts);
  }

  recordProgress(progress: readonly PipelineProgress[]): Promise<void> {
    this.progress = [...progress];
    return Promise.resolve();
  }

  readProgress(): Promise<PipelineProgress[]> {
    return Promise.resolve(this.progress);
  }

  private file(deadline: string, key: string): void {
    let keys = this.index.get(deadline);
    if (!keys) {
      keys = new Set();
      this.index.set(deadline, keys);
      const at = lowerBound(this.deadlines, deadline);
      this.deadlines.splice(at, 0, deadline);
    }
    keys.add(key);
    this.counters.entityWrites++;
  }

  private unfile(deadline: string, key: string): void {
    const keys = this.index.get(deadline);
    if (!keys?.delete(key)) return;
    this.counters.entityWrites++;
    if (keys.size === 0) {
      this.index.delete(deadline);
      this.deadlines.splice(lowerBound(this.deadlines, deadline), 1);
    }
  }
}

/** A page from an offset; the token is the offset of the next page. */
function pageOf<T>(all: readonly T[], pageSize: number, continuationToken?: string): Page<T> {
  const start = continuationToken === undefined ? 0 : Number(continuationToken);
  const next = start + pageSize;
  return {
    items: all.slice(start, next),
    continuationToken: next < all.length ? String(next) : undefined,
  };
}

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
