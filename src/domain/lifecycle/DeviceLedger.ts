/**
 * What the registry keeps per device ID beside the identities, changed atomically with every
 * write that emits lifecycle notifications: the last sequence number handed out, and the count
 * of modules of the live generation (the module limit is checked against it, not by counting).
 */
export interface DeviceLedger {
  /** Last lifecycle sequence number used for this device ID (0: none yet). */
  sequence: number;
  /** Generation of the live device; null while the ID is not registered. */
  generationId: string | null;
  /** Modules of that generation. */
  modules: number;
  /** Set once the ID ever had a module: without it, listing modules needs no query. */
  hadModules: boolean;
}

export const EMPTY_LEDGER: DeviceLedger = {
  sequence: 0,
  generationId: null,
  modules: 0,
  hadModules: false,
};
