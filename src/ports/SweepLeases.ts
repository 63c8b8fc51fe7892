/** A sweep range held by this process until released (or until it expires, after a crash). */
export interface SweepLease {
  release(): Promise<void>;
}

/**
 * Exclusive leases on sweep ranges, shared by every process sweeping one map: two apps on the
 * same storage, or the local host started twice on one data folder, sweep each range once.
 */
export interface SweepLeases {
  /** The range's lease, or null while another process holds it. */
  acquire(range: string): Promise<SweepLease | null>;
}

/** One process alone: every range is granted. */
export const noSweepLeases: SweepLeases = {
  acquire: () => Promise.resolve({ release: () => Promise.resolve() }),
};
