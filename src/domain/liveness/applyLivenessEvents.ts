import type { LivenessAlert } from './LivenessAlert';
import type { LivenessEvent } from './LivenessEvent';
import { withDeadline, type LivenessPolicy, type LivenessRecord } from './LivenessRecord';
import { compareGenerations } from './compareGenerations';

export interface Applied {
  /** The entry to store; `undefined` when the events change nothing. */
  next: LivenessRecord | undefined;
  alerts: LivenessAlert[];
}

type Lifecycle = Extract<LivenessEvent, { kind: 'lifecycle' }>;
type Activity = Extract<LivenessEvent, { kind: 'activity' }>;

const OP_ORDER = { create: 0, status: 1, delete: 2 } as const;

function fresh(
  deviceId: string,
  moduleId: string | null,
  generationId: string | null,
  at: string,
  enabled: boolean,
): LivenessRecord {
  return {
    deviceId,
    moduleId,
    generationId,
    createdAt: at,
    deletedAt: null,
    enabled,
    enabledChangedAt: at,
    state: 'neverSeen',
    stateSince: at,
    lastSeen: null,
    lastHeartbeat: null,
    declaredIntervalSeconds: null,
    configuredIntervalSeconds: null,
    configuredGraceFactor: null,
    deadline: null,
  };
}

const newer = (candidate: string | null, than: string | null) =>
  candidate !== null && (than === null || compareGenerations(candidate, than) > 0);

function applyLifecycle(r: LivenessRecord | null, e: Lifecycle): LivenessRecord | null {
  switch (e.op) {
    case 'create':
      if (r === null || newer(e.generationId, r.generationId))
        return fresh(e.deviceId, e.moduleId, e.generationId, e.at, e.enabled ?? true);
      return r;
    case 'delete':
      if (r === null)
        return { ...fresh(e.deviceId, e.moduleId, e.generationId, e.at, false), deletedAt: e.at };
      if (
        e.generationId !== null &&
        r.generationId !== null &&
        compareGenerations(e.generationId, r.generationId) < 0
      )
        return r;
      return r.deletedAt !== null
        ? r
        : { ...r, generationId: e.generationId ?? r.generationId, deletedAt: e.at };
    case 'status':
      if (r === null || r.deletedAt !== null || e.enabled === null) return r;
      if (e.generationId !== null && r.generationId !== null && e.generationId !== r.generationId)
        return r;
      if (e.at < r.enabledChangedAt || r.enabled === e.enabled) return r;
      return { ...r, enabled: e.enabled, enabledChangedAt: e.at };
  }
}

/** Whether activity belongs to the entry's generation; may enrol an identity seen for the first time. */
function admit(r: LivenessRecord | null, e: Activity): { record: LivenessRecord | null } {
  if (r === null) return { record: fresh(e.deviceId, e.moduleId, e.generationId, e.at, true) };
  if (
    r.deletedAt !== null ||
    (e.generationId !== null && r.generationId !== null && e.generationId !== r.generationId)
  ) {
    // Only a newer generation revives an identity: the registry re-created it.
    return newer(e.generationId, r.generationId)
      ? { record: fresh(e.deviceId, e.moduleId, e.generationId, e.at, true) }
      : { record: null };
  }
  if (e.generationId === null && e.at < r.createdAt) return { record: null };
  return { record: r };
}

/**
 * Folds a batch of one identity's events into its entry. Activity is a maximum (the last-seen
 * time never moves backwards) and lifecycle events are ordered by generation, so duplicated or
 * reordered delivery gives the same entry as in-order delivery.
 */
export function applyLivenessEvents(
  current: LivenessRecord | null,
  events: readonly LivenessEvent[],
  policy: LivenessPolicy,
): Applied {
  let r = current;
  const lifecycle = events
    .filter((e): e is Lifecycle => e.kind === 'lifecycle')
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : OP_ORDER[a.op] - OP_ORDER[b.op]));
  for (const e of lifecycle) r = applyLifecycle(r, e);

  const alerts: LivenessAlert[] = [];
  const activity = events
    .filter((e): e is Activity => e.kind === 'activity')
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const e of activity) {
    const { record } = admit(r, e);
    if (record === null) continue;
    r = record;
    if (e.heartbeat && (r.lastHeartbeat === null || e.at >= r.lastHeartbeat)) {
      const declared =
        e.at === r.lastHeartbeat && r.declaredIntervalSeconds !== null && e.intervalSeconds !== null
          ? Math.max(r.declaredIntervalSeconds, e.intervalSeconds)
          : (e.intervalSeconds ?? r.declaredIntervalSeconds);
      r = { ...r, lastHeartbeat: e.at, declaredIntervalSeconds: declared };
    }
    if (r.lastSeen === null || e.at > r.lastSeen) {
      const before = r.lastSeen;
      if (r.state === 'silent') {
        alerts.push({
          kind: 'recovered',
          deviceId: r.deviceId,
          moduleId: r.moduleId,
          generationId: r.generationId,
          at: e.at,
          lastSeen: before,
          ...(before === null
            ? {}
            : { outageSeconds: (Date.parse(e.at) - Date.parse(before)) / 1000 }),
        });
      }
      r = {
        ...r,
        lastSeen: e.at,
        ...(r.state === 'online' ? {} : { state: 'online' as const, stateSince: e.at }),
      };
    }
  }
  if (r === null) return { next: undefined, alerts };
  const next = withDeadline(r, policy);
  return { next: current !== null && sameRecord(current, next) ? undefined : next, alerts };
}

const sameRecord = (a: LivenessRecord, b: LivenessRecord) =>
  JSON.stringify(a) === JSON.stringify(b);
