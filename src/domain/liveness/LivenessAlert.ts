import type { SilentReason } from './LivenessRecord';

/** A state transition worth telling someone about, emitted exactly once. */
export interface LivenessAlert {
  kind: 'silent' | 'recovered';
  deviceId: string;
  moduleId: string | null;
  generationId: string | null;
  /**
   * When the transition happened: for `silent`, when the outage began (the missed deadline, or
   * the disconnect); for `recovered`, the first activity after the silence.
   */
  at: string;
  lastSeen: string | null;
  /** For `silent` (and the `recovered` that ends it): heartbeats stopped, or the connection dropped. */
  reason?: SilentReason;
  /**
   * For `recovered`: from the last activity before the silence (or the disconnect that began
   * it) to the first activity after it.
   */
  outageSeconds?: number;
}
