import { compareGenerations } from './compareGenerations';
import type { LivenessAlert } from './LivenessAlert';
import type { LivenessEvent } from './LivenessEvent';
import { NEVER, withDeadline, type LivenessPolicy, type LivenessRecord } from './LivenessRecord';

export interface Applied {
  /** The entry to store; `undefined` when the events change nothing. */
  next: LivenessRecord | undefined;
  alerts: LivenessAlert[];
}

type Lifecycle = Extract<LivenessEvent, { kind: 'lifecycle' }>;
type Activity = Extract<LivenessEvent, { kind: 'activity' }>;
type Connection = Extract<LivenessEvent, { kind: 'connection' }>;

function blank(
  deviceId: string,
  moduleId: string | null,
  generationId: string | null,
  keep?: LivenessRecord,
): LivenessRecord {
  return {
    deviceId,
    moduleId,
    generationId,
    createdAt: NEVER,
    deletedAt: null,
    enabled: true,
    enabledChangedAt: NEVER,
    state: 'neverSeen',
    stateSince: NEVER,
    lastSeen: null,
    lastHeartbeat: null,
    declaredIntervalSeconds: null,
    declaredAt: null,
    lastSilentAt: null,
    silentReason: null,
    connectionState: null,
    connectionStateAt: null,
    connectionSequence: null,
    // An operator's interval is set for the ID, not for one generation of it.
    configuredIntervalSeconds: keep?.configuredIntervalSeconds ?? null,
    configuredGraceFactor: keep?.configuredGraceFactor ?? null,
    deadline: null,
  };
}

/** A tombstone holds nothing that depends on the order events arrived in. */
const tombstone = (r: LivenessRecord, generationId: string | null, at: string): LivenessRecord => ({
  ...blank(r.deviceId, r.moduleId, generationId, r),
  deletedAt: at,
  enabled: false,
  stateSince: at,
});

/**
 * The entry an event of `generation` applies to: the current one, a fresh one for a newer
 * generation (the registry re-created the ID), or null for an older generation's event.
 */
function forGeneration(
  r: LivenessRecord | null,
  deviceId: string,
  moduleId: string | null,
  generation: string | null,
): LivenessRecord | null {
  if (r === null) return blank(deviceId, moduleId, generation);
  if (generation === null || generation === r.generationId) return r;
  if (r.generationId === null)
    return r.deletedAt === null
      ? { ...r, generationId: generation }
      : blank(deviceId, moduleId, generation, r);
  return compareGenerations(generation, r.generationId) > 0
    ? blank(deviceId, moduleId, generation, r)
    : null;
}

/** The newest status wins; at a tie, disabled wins (the safe side). */
function withStatus(r: LivenessRecord, at: string, enabled: boolean): LivenessRecord {
  return at > r.enabledChangedAt || (at === r.enabledChangedAt && !enabled && r.enabled)
    ? { ...r, enabled, enabledChangedAt: at }
    : r;
}

function applyLifecycle(current: LivenessRecord | null, e: Lifecycle): LivenessRecord | null {
  const r = forGeneration(current, e.deviceId, e.moduleId, e.generationId);
  if (r === null) return current;
  if (r.deletedAt !== null) {
    return e.op === 'delete' && e.at < r.deletedAt ? tombstone(r, r.generationId, e.at) : r;
  }
  switch (e.op) {
    case 'create': {
      if (r.createdAt !== NEVER && r.createdAt <= e.at) return r;
      const created = {
        ...r,
        createdAt: e.at,
        ...(r.state === 'neverSeen' ? { stateSince: e.at } : {}),
      };
      return withStatus(created, e.at, e.enabled ?? true);
    }
    case 'delete':
      return tombstone(r, e.generationId ?? r.generationId, e.at);
    case 'status':
      return e.enabled === null ? r : withStatus(r, e.at, e.enabled);
  }
}

function applyActivity(
  current: LivenessRecord | null,
  e: Activity,
  alerts: LivenessAlert[],
): LivenessRecord | null {
  const found = forGeneration(current, e.deviceId, e.moduleId, e.generationId);
  if (found === null || found.deletedAt !== null) return current;
  if (e.generationId === null && found.createdAt !== NEVER && e.at < found.createdAt)
    return current;
  let r = found;
  if (e.heartbeat) {
    if (r.lastHeartbeat === null || e.at > r.lastHeartbeat) r = { ...r, lastHeartbeat: e.at };
    const declared = e.intervalSeconds;
    if (
      declared !== null &&
      (r.declaredAt === null ||
        e.at > r.declaredAt ||
        (e.at === r.declaredAt && declared > (r.declaredIntervalSeconds ?? 0)))
    ) {
      r = { ...r, declaredIntervalSeconds: declared, declaredAt: e.at };
    }
  }
  if (r.lastSeen === null || e.at > r.lastSeen) {
    // Silent since a disconnect: only activity after the disconnect ends it (a late message
    // from before is no sign the device came back).
    const dropped = r.silentReason === 'disconnected';
    if (r.state === 'silent' && (!dropped || e.at > r.stateSince)) {
      const from = dropped ? r.stateSince : r.lastSeen;
      alerts.push({
        kind: 'recovered',
        deviceId: r.deviceId,
        moduleId: r.moduleId,
        generationId: r.generationId,
        at: e.at,
        lastSeen: r.lastSeen,
        ...(r.silentReason ? { reason: r.silentReason } : {}),
        ...(from === null ? {} : { outageSeconds: (Date.parse(e.at) - Date.parse(from)) / 1000 }),
      });
      return {
        ...r,
        lastSeen: e.at,
        state: 'online',
        stateSince: e.at,
        lastSilentAt: r.stateSince,
        silentReason: null,
      };
    }
    return {
      ...r,
      lastSeen: e.at,
      ...(r.state === 'neverSeen' ? { state: 'online' as const, stateSince: e.at } : {}),
    };
  }
  // Late activity of the current online period moves its start back, as in-order delivery would.
  if (r.state === 'online' && e.at < r.stateSince && e.at > (r.lastSilentAt ?? NEVER))
    return { ...r, stateSince: e.at };
  return r;
}

/**
 * A connection state event: the one with the highest sequence number says the state, whatever
 * the order they arrive in; a connect is activity, a disconnect is not.
 */
function applyConnection(
  current: LivenessRecord | null,
  e: Connection,
  alerts: LivenessAlert[],
): LivenessRecord | null {
  const found = forGeneration(current, e.deviceId, e.moduleId, e.generationId);
  if (found === null || found.deletedAt !== null) return current;
  if (e.generationId === null && found.createdAt !== NEVER && e.at < found.createdAt)
    return current;
  const r =
    found.connectionSequence === null || e.sequenceNumber > found.connectionSequence
      ? {
          ...found,
          connectionState: e.connected ? ('connected' as const) : ('disconnected' as const),
          connectionStateAt: e.at,
          connectionSequence: e.sequenceNumber,
        }
      : found;
  if (!e.connected) return r;
  return applyActivity(
    r,
    {
      kind: 'activity',
      deviceId: e.deviceId,
      moduleId: e.moduleId,
      at: e.at,
      heartbeat: false,
      intervalSeconds: null,
      generationId: e.generationId,
    },
    alerts,
  );
}

/** Whether an event can change an entry: twin changes only when the device reported. */
export function affectsLiveness(e: LivenessEvent): boolean {
  return e.kind === 'twinChange' ? e.reported : e.kind !== 'digitalTwinChange';
}

function applyOne(
  r: LivenessRecord | null,
  e: LivenessEvent,
  alerts: LivenessAlert[],
): LivenessRecord | null {
  switch (e.kind) {
    case 'lifecycle':
      return applyLifecycle(r, e);
    case 'activity':
      return applyActivity(r, e, alerts);
    case 'connection':
      return applyConnection(r, e, alerts);
    case 'twinChange':
      // Only the device writes reported properties; tags and desired ones are the back end's.
      return e.reported
        ? applyActivity(
            r,
            {
              kind: 'activity',
              deviceId: e.deviceId,
              moduleId: e.moduleId,
              at: e.at,
              heartbeat: false,
              intervalSeconds: null,
              generationId: e.generationId,
            },
            alerts,
          )
        : r;
    case 'digitalTwinChange':
      return r;
  }
}

/**
 * Folds a batch of one identity's events into its entry. The entry is a function of the set of
 * events (maxima, minima, generation order), so duplicated or reordered delivery, in any batch
 * sizes, gives the same entry as in-order delivery.
 */
export function applyLivenessEvents(
  current: LivenessRecord | null,
  events: readonly LivenessEvent[],
  policy: LivenessPolicy,
): Applied {
  const alerts: LivenessAlert[] = [];
  let r = current;
  const ordered = [...events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const e of ordered) r = applyOne(r, e, alerts);
  if (r === null) return { next: undefined, alerts };
  const next = withDeadline(r, policy);
  return {
    next: current !== null && JSON.stringify(current) === JSON.stringify(next) ? undefined : next,
    alerts,
  };
}
