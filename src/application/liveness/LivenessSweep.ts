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
import type { PipelineMonitor } from './PipelineMonitor';

export interface SweepResult {
  due: number;
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

/**
 * The overdue sweep: reads only the index rows whose deadline has passed (cost follows the
 * devices that are due, not the fleet) and turns overdue online entries silent. The state
 * change and its alert are one conditional transaction, so overlapping sweeps, or several
 * instances, raise each alert once. While the pipeline is behind, silent alerts are held.
 */
export class LivenessSweep {
  constructor(
    private readonly store: LivenessStore,
    private readonly pipeline: PipelineMonitor,
    private readonly alerts: AlertRelay,
    private readonly policy: LivenessPolicy,
    private readonly logger: Logger,
    private readonly batchLimit = 5_000,
  ) {}

  async sweep(now: Date): Promise<SweepResult> {
    // Alerts an earlier failure or crash left pending go out first: afterwards, an overlapping
    // sweep's alerts, recorded and still being published by it, would go out twice.
    const relayed = await this.alerts.relayPending().catch((error: unknown) => {
      this.logger.error('Pending alerts could not be published; the next sweep retries', error);
      return 0;
    });
    const status = await this.pipeline.status(now);
    const due = await this.store.listDue(now.toISOString(), this.batchLimit);
    const stored = await this.store.readMany(due);
    const writes: LivenessWrite[] = [];
    const result: SweepResult = {
      due: due.length,
      silenced: 0,
      held: 0,
      repaired: 0,
      refiled: 0,
      purged: 0,
      lost: 0,
      current: status.current,
      lagSeconds: status.lagSeconds,
      relayed,
    };
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
        result.silenced++;
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
    result.lost = lost.length;
    const lostKeys = new Set(lost.map(refKey));
    const raised = writes.filter((w) => !lostKeys.has(refKey(w.ref))).flatMap((w) => w.alerts);
    result.silenced = raised.length;
    await this.alerts.publish(raised);
    return result;
  }
}
