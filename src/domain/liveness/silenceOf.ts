import { openDisconnect, type LivenessRecord, type SilentReason } from './LivenessRecord';

/**
 * How an online entry past its deadline goes silent: since the disconnect when the hub saw its
 * connection drop and nothing was heard since (the outage began there), else since the missed
 * deadline.
 */
export function silenceOf(
  r: LivenessRecord,
  deadline: string,
): { since: string; reason: SilentReason } {
  const disconnectedAt = openDisconnect(r);
  return disconnectedAt !== null
    ? { since: disconnectedAt, reason: 'disconnected' }
    : { since: deadline, reason: 'heartbeatMissed' };
}
