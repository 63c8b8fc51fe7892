import type { LivenessAlert } from '../../domain/liveness/LivenessAlert';
import {
  indexDeadline,
  withDeadline,
  type LivenessPolicy,
} from '../../domain/liveness/LivenessRecord';
import { silenceOf } from '../../domain/liveness/silenceOf';
import { refKey, type LivenessStore, type LivenessWrite } from '../../ports/LivenessStore';
import type { AlertRelay } from './AlertRelay';
import type { Logger } from '../../ports/Logger';
import type { PipelineMonitor, PipelineStatus } from './PipelineMonitor';
import { noSweepLeases, type SweepLeases } from '../../ports/SweepLeases';
import type { DueEntry } from '../../ports/LivenessStore';

export interface SweepResult {
  due: number;
  /** Ranges swept to the end; ranges another process held; ranges left for the next sweep. */
  ranges: number;
  leasedElsewhere: number;
  unfinished: number;
  silenced: number;
  held: number;
  repaired: number;
  /** Index rows that came up before their entry's deadline (it heartbeated since): moved to it. */
  refiled: number;
  purged: number;
  lost: number;
  current: boolean;
  lagSeconds: number;
  /** Alerts left pending by earlier attempts, published by this sweep. */
  relayed: number;
}

export interface SweepOptions {
  /** How long one sweep may take before it leaves the rest to the next (keep it under the period). */
  budgetMs?: number;
  /** Index rows read and handled at a time in one range. */
  pageSize?: number;
  /** Ranges swept at once. */
  concurrency?: number;
  leases?: SweepLeases;
  /** Milliseconds on a monotonic clock (tests control it). */
  elapsed?: () => number;
}

/**
 * The overdue sweep: reads only the index rows whose deadline has passed (cost follows the
 * devices that are due, not the fleet) and turns overdue online entries silent. The state
 * change and its alert are one conditional transaction, so overlapping sweeps, or several
 * instances, raise each alert once. While the pipeline is behind, silent alerts are held.
 *
 * There is no cap per sweep: ranges (table partitions) are swept in parallel, each page after
 * page to its end, within a time budget; a sweep that runs out of it starts the next one at
 * the ranges it did not reach. Each range is swept under a lease, so another process sweeping
 * the same map takes other ranges, and pending alerts are relayed by the range's holder only.
 */
export class LivenessSweep {
  private readonly budgetMs: number;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly leases: SweepLeases;
  private readonly elapsed: () => number;
  /** Where the next sweep starts: the first range the last one did not finish. */
  private startAt = 0;

  constructor(
    private readonly store: LivenessStore,
    private readonly pipeline: PipelineMonitor,
    private readonly alerts: AlertRelay,
    private readonly policy: LivenessPolicy,
    private readonly logger: Logger,
    options: SweepOptions = {},
  ) {
    this.budgetMs = options.budgetMs ?? 40_000;
    this.pageSize = options.pageSize ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.leases = options.leases ?? noSweepLeases;
    this.elapsed = options.elapsed ?? (() => performance.now());
  }

  async sweep(now: Date): Promise<SweepResult> {
    const started = this.elapsed();
    const status = await this.pipeline.status(now);
    const result: SweepResult = {
      due: 0,
      ranges: 0,
      leasedElsewhere: 0,
      unfinished: 0,
      silenced: 0,
      held: 0,
      repaired: 0,
      refiled: 0,
      purged: 0,
      lost: 0,
      current: status.current,
      lagSeconds: status.lagSeconds,
      relayed: 0,
    };
    const all = this.store.sweepRanges();
    const from = this.startAt % Math.max(1, all.length);
    const ranges = [...all.slice(from), ...all.slice(0, from)];
    const unfinished: number[] = [];
    const overBudget = () => this.elapsed() - started >= this.budgetMs;
    let next = 0;
    let failure: { error: unknown } | undefined;
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency, ranges.length) }, async () => {
        while (next < ranges.length && !failure) {
          const i = next++;
          try {
            const done = overBudget()
              ? false
              : await this.sweepRange(ranges[i] as string, now, status, result, overBudget);
            if (done === false) unfinished.push(i);
          } catch (error) {
            failure ??= { error };
          }
        }
      }),
    );
    if (failure) throw failure.error;
    result.unfinished = unfinished.length;
    if (unfinished.length > 0) this.startAt = (from + Math.min(...unfinished)) % all.length;
    return result;
  }

  /** One range under its lease: true when swept to its end, false when the budget ran out. */
  private async sweepRange(
    range: string,
    now: Date,
    status: PipelineStatus,
    result: SweepResult,
    overBudget: () => boolean,
  ): Promise<boolean | 'elsewhere'> {
    const lease = await this.leases.acquire(range);
    if (!lease) {
      result.leasedElsewhere++;
      return 'elsewhere';
    }
    try {
      // Alerts an earlier failure or crash left pending go out first, by the range's holder only:
      // another process's sweep, still publishing its own, would send them twice.
      // (Read after the await: ranges run concurrently.)
      const relayed = await this.alerts.relayPending(500, range).catch((error: unknown) => {
        this.logger.error('Pending alerts could not be published; the next sweep retries', error);
        return 0;
      });
      result.relayed += relayed;
      let after: DueEntry | undefined;
      for (;;) {
        if (overBudget()) return false;
        const due = await this.store.listDue(now.toISOString(), this.pageSize, range, after);
        if (due.length > 0) await this.handle(due, now, status, result);
        if (due.length < this.pageSize) break;
        after = due[due.length - 1];
      }
      result.ranges++;
      return true;
    } finally {
      await lease.release().catch((error: unknown) => {
        this.logger.warn(
          `Sweep lease of ${range} not released; it expires by itself: ${String(error)}`,
        );
      });
    }
  }

  private async handle(
    due: readonly DueEntry[],
    now: Date,
    status: PipelineStatus,
    result: SweepResult,
  ): Promise<void> {
    result.due += due.length;
    const stored = await this.store.readMany(due);
    const writes: LivenessWrite[] = [];
    for (const entry of due) {
      const ref = { deviceId: entry.deviceId, moduleId: entry.moduleId };
      const found = stored.get(refKey(ref));
      if (!found || indexDeadline(found.record) !== entry.deadline) {
        // An index row its entry no longer points at: drop just the row.
        writes.push({
          ref,
          record: null,
          before: null,
          etag: null,
          indexedDeadline: entry.deadline,
          alerts: [],
        });
        result.repaired++;
        continue;
      }
      const r = found.record;
      if (r.deletedAt !== null) {
        writes.push({
          ref,
          record: null,
          before: r,
          etag: found.etag,
          indexedDeadline: entry.deadline,
          alerts: [],
        });
        result.purged++;
      } else if (
        r.state === 'online' &&
        r.enabled &&
        r.deadline !== null &&
        r.deadline > now.toISOString()
      ) {
        // Filed early (the ingest leaves a row in place between heartbeats): not due yet.
        const { filedDeadline: _filed, ...atDeadline } = r;
        writes.push({
          ref,
          record: atDeadline,
          before: r,
          etag: found.etag,
          indexedDeadline: entry.deadline,
          alerts: [],
        });
        result.refiled++;
      } else if (r.state === 'online' && r.enabled) {
        if (!status.current) {
          result.held++;
          continue;
        }
        // Heartbeats stopped (silent since the deadline), or the connection dropped (since then).
        const silence = silenceOf(r, r.deadline ?? entry.deadline);
        const alert: LivenessAlert = {
          kind: 'silent',
          deviceId: r.deviceId,
          moduleId: r.moduleId,
          generationId: r.generationId,
          at: silence.since,
          lastSeen: r.lastSeen,
          reason: silence.reason,
        };
        const { filedDeadline: _filed, ...unfiled } = r;
        writes.push({
          ref,
          record: {
            ...unfiled,
            state: 'silent',
            stateSince: silence.since,
            silentReason: silence.reason,
            deadline: null,
          },
          before: r,
          etag: found.etag,
          indexedDeadline: entry.deadline,
          alerts: [alert],
        });
      } else {
        writes.push({
          ref,
          record: withDeadline(r, this.policy),
          before: r,
          etag: found.etag,
          indexedDeadline: entry.deadline,
          alerts: [],
        });
        result.repaired++;
      }
    }
    const { lost } = await this.store.write(writes);
    // Lost races: another sweep or the ingest changed the entry first; the next sweep re-checks.
    result.lost += lost.length;
    const lostKeys = new Set(lost.map(refKey));
    const raised = writes.filter((w) => !lostKeys.has(refKey(w.ref))).flatMap((w) => w.alerts);
    result.silenced += raised.length;
    await this.alerts.publish(raised);
  }
}
