import type { LivenessAlert } from '../domain/liveness/LivenessAlert';
import type { LivenessRecord, LivenessState } from '../domain/liveness/LivenessRecord';
import type { IdentityRef } from '../domain/identity/IdentityRef';
import type { Page } from './RegistryStore';

export type { IdentityRef };

export interface StoredLiveness {
  record: LivenessRecord;
  etag: string;
}

/**
 * One entry's change: the new record (null removes it), the record and etag it was read with
 * (null: it did not exist), the deadline its index row was filed under, and alerts raised by
 * the change. The store applies the record, its index rows, its partition's counts and its
 * alerts atomically. A write with neither record nor etag only drops the deadline index row.
 */
export interface LivenessWrite {
  ref: IdentityRef;
  record: LivenessRecord | null;
  /** What `etag` was read with: the counts and the state index move from it. */
  before: LivenessRecord | null;
  etag: string | null;
  indexedDeadline: string | null;
  alerts: LivenessAlert[];
}

export interface WriteOutcome {
  lost: IdentityRef[];
  etags: Map<string, string>;
}

export interface DueEntry extends IdentityRef {
  deadline: string;
}

export interface StoredAlert extends LivenessAlert {
  id: string;
}

/** Which alerts a listing shows: oldest first by default; one device's only when named. */
export interface AlertFilter {
  newestFirst?: boolean;
  deviceId?: string;
}

export interface PipelineProgress {
  /** Event Hubs partition (or channel) this progress is for. */
  source: string;
  /** Newest enqueued time processed. */
  newestEnqueued: string;
  processedAt: string;
}

/** The last-seen map, its deadline index and its alert log. */
export interface LivenessStore {
  readMany(refs: readonly IdentityRef[]): Promise<Map<string, StoredLiveness>>;
  /** Modules of a device (for a device delete's cascade). */
  readModules(deviceId: string): Promise<StoredLiveness[]>;
  /**
   * Applies writes. Returns the refs whose write lost a race (etag or existence) and was not
   * applied, and the new etags of the entries that were written.
   */
  write(writes: readonly LivenessWrite[]): Promise<WriteOutcome>;
  /**
   * The ranges the sweep takes one at a time (table partitions): each holds its entries' index
   * rows and alerts, so one range can be swept, and leased, alone.
   */
  sweepRanges(): string[];
  /**
   * Index rows due by `until`, by deadline: in one range (after `after`, to page on) or, without
   * one, across all of them.
   */
  listDue(until: string, limit: number, range?: string, after?: DueEntry): Promise<DueEntry[]>;
  listByState(
    state: LivenessState | undefined,
    pageSize: number,
    continuationToken?: string,
  ): Promise<Page<LivenessRecord>>;
  listAlerts(
    pageSize: number,
    continuationToken?: string,
    filter?: AlertFilter,
  ): Promise<Page<StoredAlert>>;
  /**
   * Alerts recorded but not yet published (each alert is recorded with a pending mark in the
   * same transaction), oldest first, at most `limit`.
   */
  listPendingAlerts(limit: number, range?: string): Promise<LivenessAlert[]>;
  /**
   * Puts recorded alerts into the time-ordered alert log (the store does so after each commit;
   * the relay again for alerts a crash left pending). Idempotent.
   */
  logAlerts(alerts: readonly LivenessAlert[]): Promise<void>;
  /** Clears the pending mark of published alerts; a mark already gone is fine. */
  completeAlerts(alerts: readonly LivenessAlert[]): Promise<void>;
  /** From counters kept with the state rows: a constant number of reads whatever the fleet. */
  countByState(): Promise<Record<LivenessState, number>>;
  recordProgress(progress: readonly PipelineProgress[]): Promise<void>;
  readProgress(): Promise<PipelineProgress[]>;
}

/** The state an entry is counted and indexed under; tombstones are in none. */
export const countedState = (r: LivenessRecord | null): LivenessState | null =>
  r === null || r.deletedAt !== null ? null : r.state;

export const refKey = (ref: IdentityRef): string => `${ref.deviceId}\u0000${ref.moduleId ?? ''}`;
