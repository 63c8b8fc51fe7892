export type LivenessState = 'neverSeen' | 'online' | 'silent';

/** How IoT Hub writes a time that has not happened. */
export const NEVER = '0001-01-01T00:00:00.000Z';

export type IntervalSource = 'configured' | 'declared' | 'default';

/** Why an entry went silent: its heartbeats stopped, or the hub saw its connection drop. */
export type SilentReason = 'heartbeatMissed' | 'disconnected';

/** One device's or module's entry in the last-seen map. Times are ISO 8601 UTC. */
export interface LivenessRecord {
  deviceId: string;
  /** null for the device itself. */
  moduleId: string | null;
  /** The registry generation this entry belongs to; events of other generations are ignored. */
  generationId: string | null;
  /** When the registry created it; NEVER when the monitor enrolled it from its own events. */
  createdAt: string;
  /** Set when the identity was deleted: the entry stays as a tombstone so late events cannot revive it. */
  deletedAt: string | null;
  /** Disabled devices are never alerted on. */
  enabled: boolean;
  enabledChangedAt: string;
  state: LivenessState;
  stateSince: string;
  lastSeen: string | null;
  lastHeartbeat: string | null;
  declaredIntervalSeconds: number | null;
  /** Enqueued time of the newest heartbeat that declared an interval. */
  declaredAt: string | null;
  /** When the last silence began: activity before it cannot move an online period's start. */
  lastSilentAt: string | null;
  /** Set while silent. */
  silentReason: SilentReason | null;
  /**
   * The hub's view of the connection (`deviceConnectionStateEvents`): the state of the event with
   * the highest sequence number, its operation time and that number (64 hex digits). Null for
   * identities the hub never reported on (HTTP devices, or no route for these events).
   */
  connectionState: 'connected' | 'disconnected' | null;
  connectionStateAt: string | null;
  connectionSequence: string | null;
  configuredIntervalSeconds: number | null;
  configuredGraceFactor: number | null;
  /** When an online, enabled identity becomes silent; null otherwise. */
  deadline: string | null;
  /**
   * Where its deadline index row is, when earlier than `deadline` (see `withIndexRow`); absent
   * when the row is at the deadline.
   */
  filedDeadline?: string | null;
}

export interface LivenessPolicy {
  defaultIntervalSeconds: number;
  graceFactor: number;
  /** How long a deleted identity's tombstone keeps late events from reviving it. */
  tombstoneSeconds: number;
  /**
   * How long a disconnected identity (no activity since) may stay disconnected before it is
   * silent; absent or null: until its heartbeat deadline.
   */
  disconnectGraceSeconds?: number | null;
}

/**
 * When the identity's newest connection event is a disconnect and nothing was heard from it
 * since: the time of that disconnect. Null otherwise.
 */
export function openDisconnect(r: LivenessRecord): string | null {
  if (r.connectionState !== 'disconnected' || r.connectionStateAt === null) return null;
  return r.lastSeen === null || r.lastSeen <= r.connectionStateAt ? r.connectionStateAt : null;
}

export function effectiveInterval(
  r: LivenessRecord,
  policy: LivenessPolicy,
): { intervalSeconds: number; graceFactor: number; source: IntervalSource } {
  const source: IntervalSource =
    r.configuredIntervalSeconds !== null
      ? 'configured'
      : r.declaredIntervalSeconds !== null
        ? 'declared'
        : 'default';
  return {
    intervalSeconds:
      r.configuredIntervalSeconds ?? r.declaredIntervalSeconds ?? policy.defaultIntervalSeconds,
    graceFactor: r.configuredGraceFactor ?? policy.graceFactor,
    source,
  };
}

const later = (a: string, b: string) => (a > b ? a : b);

/**
 * Recomputes the deadline: lastSeen (or re-enable time) + interval × grace for online, enabled
 * entries, or the end of the disconnect grace when that is earlier and the identity is
 * disconnected; for tombstones, when they may be purged. The sweep visits entries at their
 * deadline.
 */
export function withDeadline(r: LivenessRecord, policy: LivenessPolicy): LivenessRecord {
  if (r.deletedAt !== null) {
    return {
      ...r,
      deadline: new Date(Date.parse(r.deletedAt) + policy.tombstoneSeconds * 1000).toISOString(),
    };
  }
  if (r.state !== 'online' || !r.enabled || r.lastSeen === null) return { ...r, deadline: null };
  const { intervalSeconds, graceFactor } = effectiveInterval(r, policy);
  const from = later(r.lastSeen, r.enabledChangedAt);
  const heartbeat = new Date(Date.parse(from) + intervalSeconds * graceFactor * 1000).toISOString();
  const disconnectedAt = openDisconnect(r);
  const grace = policy.disconnectGraceSeconds;
  if (disconnectedAt === null || grace === undefined || grace === null)
    return { ...r, deadline: heartbeat };
  const dropped = new Date(
    Date.parse(later(disconnectedAt, r.enabledChangedAt)) + grace * 1000,
  ).toISOString();
  return { ...r, deadline: dropped < heartbeat ? dropped : heartbeat };
}

/**
 * Where an entry's deadline index row is: never later than its deadline (a row later than the
 * deadline would flag a silent identity late), and none without a deadline.
 */
export function indexDeadline(r: LivenessRecord): string | null {
  if (r.deadline === null) return null;
  return r.filedDeadline && r.filedDeadline < r.deadline ? r.filedDeadline : r.deadline;
}

/**
 * Decides where `next`'s index row goes after a write. The row stays where `stored` has it when
 * that is not later than the new deadline and the next heartbeat is due before the row comes
 * up; otherwise it moves to the deadline. A device heartbeating on schedule then moves its row
 * every other heartbeat or less, not at each one; a row that comes up early (the device went
 * quiet) is moved to the deadline by the sweep, so a silent identity is flagged at its deadline
 * exactly as before.
 */
export function withIndexRow(
  stored: LivenessRecord | null,
  next: LivenessRecord,
  policy: LivenessPolicy,
): LivenessRecord {
  const { filedDeadline: _filed, ...atDeadline } = next;
  const current = stored ? indexDeadline(stored) : null;
  if (current === null || next.deadline === null || current > next.deadline) return atDeadline;
  const { intervalSeconds, graceFactor } = effectiveInterval(next, policy);
  const nextHeartbeatDue = Date.parse(next.deadline) - (graceFactor - 1) * intervalSeconds * 1000;
  return Date.parse(current) > nextHeartbeatDue
    ? { ...atDeadline, filedDeadline: current }
    : atDeadline;
}
