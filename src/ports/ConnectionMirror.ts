/** A liveness transition, as the twins show it: connectionState and lastActivityTime. */
export interface ConnectionChange {
  deviceId: string;
  moduleId: string | null;
  /** The identity generation the transition belongs to (null: any). */
  generationId: string | null;
  state: 'Connected' | 'Disconnected';
  /** When the transition happened; an older change never overwrites a newer one. */
  at: string;
  lastActivityTime: string | null;
}

/**
 * Copies liveness transitions into the twins, so queries can filter on connectionState.
 * Idempotent and order-proof: applying a change twice, or an older one after a newer one,
 * leaves the newer. A change for an identity that is gone is dropped.
 */
export interface ConnectionMirror {
  apply(changes: readonly ConnectionChange[]): Promise<void>;
}

export const noConnectionMirror: ConnectionMirror = { apply: () => Promise.resolve() };
