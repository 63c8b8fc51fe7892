import { applyLivenessEvents } from '../../domain/liveness/applyLivenessEvents';
import type { LivenessEvent } from '../../domain/liveness/LivenessEvent';
import {
  indexDeadline,
  withIndexRow,
  type LivenessPolicy,
} from '../../domain/liveness/LivenessRecord';
import { parseLivenessEvent, type RawEvent } from '../../domain/liveness/parseLivenessEvent';
import {
  refKey,
  type IdentityRef,
  type LivenessStore,
  type LivenessWrite,
  type StoredLiveness,
} from '../../ports/LivenessStore';
import type { Logger } from '../../ports/Logger';
import type { AlertRelay } from './AlertRelay';
import type { Clock } from '../../ports/Clock';
import type { LivenessAlert } from '../../domain/liveness/LivenessAlert';
import {
  noConnectionMirror,
  type ConnectionChange,
  type ConnectionMirror,
} from '../../ports/ConnectionMirror';

export interface IngestResult {
  events: number;
  malformed: number;
  identities: number;
  writes: number;
  alerts: number;
  retries: number;
}

const ATTEMPTS = 5;

/**
 * Turns a batch of stream events into at most one change per identity. Each event is parsed on
 * its own (a bad one is counted, never fatal); an identity's events are folded together; the
 * writes are conditional, and the identities that lost a race are re-read and folded again.
 * Entries and etags are cached per instance: Event Hubs sends a device's events (partition key
 * = device ID) to one consumer, so the cache saves the read in the steady state.
 */
export class LivenessIngest {
  private readonly cache = new Map<string, StoredLiveness>();

  constructor(
    private readonly store: LivenessStore,
    private readonly policy: LivenessPolicy,
    private readonly logger: Logger,
    private readonly alerts: AlertRelay,
    private readonly clock: Clock,
    private readonly cacheSize = 200_000,
    private readonly mirror: ConnectionMirror = noConnectionMirror,
  ) {}

  /** `source` names the stream partition the batch came from, for the pipeline's progress. */
  async ingest(batch: readonly RawEvent[], source: string): Promise<IngestResult> {
    const groups = new Map<string, { ref: IdentityRef; events: LivenessEvent[] }>();
    let malformed = 0;
    const add = (ref: IdentityRef, event: LivenessEvent) => {
      const key = refKey(ref);
      const group = groups.get(key);
      if (group) group.events.push(event);
      else groups.set(key, { ref, events: [event] });
    };
    batch.forEach((raw, index) => {
      const parsed = parseLivenessEvent(raw);
      if (parsed.ok)
        add({ deviceId: parsed.event.deviceId, moduleId: parsed.event.moduleId }, parsed.event);
      else {
        malformed++;
        this.logger.warn(`Skipped liveness event ${index} of ${batch.length}: ${parsed.reason}`);
      }
    });
    await this.cascadeDeviceDeletes(groups, add);

    let pending = [...groups.values()];
    let writes = 0;
    const raised: LivenessAlert[] = [];
    let retries = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const current = await this.read(pending.map((g) => g.ref));
      const planned: LivenessWrite[] = [];
      const records = new Map<string, LivenessWrite['record']>();
      for (const { ref, events } of pending) {
        const stored = current.get(refKey(ref));
        const { next: applied, alerts: raised } = applyLivenessEvents(
          stored?.record ?? null,
          events,
          this.policy,
        );
        if (applied === undefined) continue;
        const next =
          applied === null ? null : withIndexRow(stored?.record ?? null, applied, this.policy);
        planned.push({
          ref,
          record: next,
          etag: stored?.etag ?? null,
          indexedDeadline: stored ? indexDeadline(stored.record) : null,
          alerts: raised,
        });
        records.set(refKey(ref), next);
      }
      // Comings online reach the twins before the map: a crash in between repeats the batch,
      // which finds the same transitions (goings silent follow their alerts, in the relay).
      await this.mirror.apply(connections(planned, current));
      const { lost, etags } = await this.store.write(planned);
      const lostKeys = new Set(lost.map(refKey));
      for (const w of planned) {
        const key = refKey(w.ref);
        const etag = etags.get(key);
        if (lostKeys.has(key) || etag === undefined || w.record === null) this.cache.delete(key);
        else this.remember(key, { record: w.record, etag });
        if (!lostKeys.has(key)) {
          writes++;
          raised.push(...w.alerts);
        }
      }
      pending = pending.filter((g) => lostKeys.has(refKey(g.ref)));
      if (pending.length > 0) {
        retries += pending.length;
        if (attempt >= ATTEMPTS)
          throw new Error(
            `${pending.length} liveness entries kept conflicting; the batch will be retried`,
          );
      }
    }
    await this.alerts.publish(raised);
    const newest = batch.reduce<string | null>((m, raw) => {
      const t =
        raw.enqueuedTimeUtc instanceof Date
          ? raw.enqueuedTimeUtc.toISOString()
          : typeof raw.enqueuedTimeUtc === 'string'
            ? raw.enqueuedTimeUtc
            : null;
      return t !== null && (m === null || t > m) ? t : m;
    }, null);
    if (newest !== null)
      await this.store.recordProgress([
        { source, newestEnqueued: newest, processedAt: this.clock.now().toISOString() },
      ]);
    return {
      events: batch.length,
      malformed,
      identities: groups.size,
      writes,
      alerts: raised.length,
      retries,
    };
  }

  /** Forgets cached entries (another writer, e.g. the sweep, may have changed them). */
  forget(ref: IdentityRef): void {
    this.cache.delete(refKey(ref));
  }

  private async read(refs: IdentityRef[]): Promise<Map<string, StoredLiveness>> {
    const result = new Map<string, StoredLiveness>();
    const missing: IdentityRef[] = [];
    for (const ref of refs) {
      const hit = this.cache.get(refKey(ref));
      if (hit) result.set(refKey(ref), hit);
      else missing.push(ref);
    }
    if (missing.length > 0)
      for (const [k, v] of await this.store.readMany(missing)) result.set(k, v);
    return result;
  }

  private remember(key: string, value: StoredLiveness): void {
    this.cache.delete(key);
    this.cache.set(key, value);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /** A device's delete also ends its modules' entries (IoT Hub may not send their deletes). */
  private async cascadeDeviceDeletes(
    groups: Map<string, { ref: IdentityRef; events: LivenessEvent[] }>,
    add: (ref: IdentityRef, event: LivenessEvent) => void,
  ): Promise<void> {
    const deletes = [...groups.values()].flatMap((g) =>
      g.ref.moduleId === null
        ? g.events.filter((e) => e.kind === 'lifecycle' && e.op === 'delete')
        : [],
    );
    for (const e of deletes) {
      for (const { record } of await this.store.readModules(e.deviceId)) {
        if (record.deletedAt !== null || record.createdAt > e.at) continue;
        add(
          { deviceId: record.deviceId, moduleId: record.moduleId },
          {
            kind: 'lifecycle',
            op: 'delete',
            deviceId: record.deviceId,
            moduleId: record.moduleId,
            at: e.at,
            generationId: record.generationId,
            enabled: null,
          },
        );
      }
    }
  }
}

/** The identities a write brings online (first activity, or back from silence). */
function connections(
  planned: readonly LivenessWrite[],
  current: Map<string, StoredLiveness>,
): ConnectionChange[] {
  return planned.flatMap((w) => {
    const before = current.get(refKey(w.ref))?.record.state;
    if (!w.record || w.record.state !== 'online' || before === 'online') return [];
    return [
      {
        deviceId: w.ref.deviceId,
        moduleId: w.ref.moduleId,
        generationId: w.record.generationId,
        state: 'Connected' as const,
        at: w.record.stateSince,
        lastActivityTime: w.record.lastSeen,
      },
    ];
  });
}
