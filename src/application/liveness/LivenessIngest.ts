import { affectsLiveness, applyLivenessEvents } from '../../domain/liveness/applyLivenessEvents';
import { connectionViewOf } from '../../domain/liveness/connectionViewOf';
import type { SkipReason } from '../../domain/liveness/SkipReason';
import type { LivenessEvent } from '../../domain/liveness/LivenessEvent';
import {
  indexDeadline,
  withIndexRow,
  type LivenessPolicy,
} from '../../domain/liveness/LivenessRecord';
import { parseLivenessEvent } from '../../domain/liveness/parseLivenessEvent';
import type { RawEvent } from '../../domain/liveness/RawEvent';
import type { ParseResult } from '../../domain/liveness/ParseResult';
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
  /** Events skipped: unreadable, or of a source or opType it does not know (see `skipped`). */
  malformed: number;
  /** Events read that say nothing about liveness (tags or desired properties changed, ...). */
  ignored: number;
  skipped: Partial<Record<SkipReason, number>>;
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
  /** Skips since this instance started, by reason; each reason is logged once, with an example. */
  readonly skips: Partial<Record<SkipReason, number>> = {};

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
    const result = await this.ingestParsed(batch.map(parseOne));
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
    return result;
  }

  /**
   * Events another source already parsed (Event Grid's): the same folding, ordering and
   * duplicate rules, without a stream partition's progress (no probe could ask about it).
   */
  async ingestParsed(batch: readonly ParseResult[]): Promise<IngestResult> {
    const groups = new Map<string, { ref: IdentityRef; events: LivenessEvent[] }>();
    let malformed = 0;
    let ignored = 0;
    const skipped: Partial<Record<SkipReason, number>> = {};
    const add = (ref: IdentityRef, event: LivenessEvent) => {
      const key = refKey(ref);
      const group = groups.get(key);
      if (group) group.events.push(event);
      else groups.set(key, { ref, events: [event] });
    };
    for (const parsed of batch) {
      if (!parsed.ok) {
        malformed++;
        skipped[parsed.skip] = (skipped[parsed.skip] ?? 0) + 1;
        this.countSkip(parsed.skip, parsed.reason);
      } else if (!affectsLiveness(parsed.event)) ignored++;
      else add({ deviceId: parsed.event.deviceId, moduleId: parsed.event.moduleId }, parsed.event);
    }
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
          before: stored?.record ?? null,
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
    return {
      events: batch.length,
      malformed,
      ignored,
      skipped,
      identities: groups.size,
      writes,
      alerts: raised.length,
      retries,
    };
  }

  private countSkip(reason: SkipReason, example: string): void {
    const seen = this.skips[reason] ?? 0;
    this.skips[reason] = seen + 1;
    // Once per reason: a route of a source this monitor does not read would flood the log.
    if (seen === 0)
      this.logger.warn(
        `Skipping liveness events (${reason}), e.g. ${example}; further ones are only counted`,
      );
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

/** Parses one event; the parser never throws, and if it ever did, the event alone is lost. */
function parseOne(raw: RawEvent): ReturnType<typeof parseLivenessEvent> {
  try {
    return parseLivenessEvent(raw);
  } catch (error) {
    return { ok: false, skip: 'unreadable', reason: String(error).slice(0, 80) };
  }
}

/**
 * What a write changes in the twins' connectionState: coming online (first activity, or back
 * from silence), and the hub's connects and disconnects. Only moves forward in time.
 */
function connections(
  planned: readonly LivenessWrite[],
  current: Map<string, StoredLiveness>,
): ConnectionChange[] {
  return planned.flatMap((w) => {
    if (!w.record) return [];
    const stored = current.get(refKey(w.ref))?.record;
    const before = stored ? connectionViewOf(stored) : null;
    const after = connectionViewOf(w.record);
    if (after.since === null) return [];
    const changed =
      before === null ||
      before.state !== after.state ||
      before.since === null ||
      after.since > before.since;
    if (!changed) return [];
    return [
      {
        deviceId: w.ref.deviceId,
        moduleId: w.ref.moduleId,
        generationId: w.record.generationId,
        state: after.state,
        at: after.since,
        lastActivityTime: w.record.lastSeen,
      },
    ];
  });
}
