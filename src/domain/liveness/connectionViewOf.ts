import { openDisconnect, type LivenessRecord } from './LivenessRecord';

export interface ConnectionView {
  state: 'Connected' | 'Disconnected';
  /** Since when; null when nothing was ever heard (IoT Hub's "never"). */
  since: string | null;
}

const later = (a: string, b: string | null) => (b !== null && b > a ? b : a);

/**
 * The registry's `connectionState` from an entry: Disconnected while the hub's newest connection
 * event is a disconnect with nothing heard since, or while silent; Connected while online, since
 * the later of the online period's start and the newest connection event. A function of the
 * entry alone, and it only moves forward in time as events arrive, so the twins' copy (which
 * keeps the newest) follows it.
 */
export function connectionViewOf(r: LivenessRecord): ConnectionView {
  if (r.deletedAt !== null) return { state: 'Disconnected', since: null };
  if (r.state === 'silent') return { state: 'Disconnected', since: r.stateSince };
  const disconnectedAt = openDisconnect(r);
  if (disconnectedAt !== null) return { state: 'Disconnected', since: disconnectedAt };
  if (r.state === 'online')
    return { state: 'Connected', since: later(r.stateSince, r.connectionStateAt) };
  return { state: 'Disconnected', since: r.connectionStateAt };
}
