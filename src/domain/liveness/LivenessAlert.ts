/** A state transition worth telling someone about, emitted exactly once. */
export interface LivenessAlert {
  kind: 'silent' | 'recovered';
  deviceId: string;
  moduleId: string | null;
  generationId: string | null;
  /** When the transition happened: the missed deadline, or the first activity after silence. */
  at: string;
  lastSeen: string | null;
  /** For `recovered`: from the last activity before the silence to the first one after it. */
  outageSeconds?: number;
}
