import type { CatalogEntry } from './CatalogEntry';

/** What the catalog needs from one lifecycle notification. */
export interface CatalogChange {
  deviceId: string;
  moduleId: string | null;
  op: 'create' | 'delete' | 'status';
  opType: string;
  at: string;
  sequence: number;
  generationId: string | null;
  status: 'enabled' | 'disabled' | null;
}

/**
 * The entry after a change, or null when the change is a duplicate or older than what the
 * entry already reflects. Every notification carries the identity's whole state, so the
 * newest one decides: delivery order and repeats do not matter, and the catalog converges.
 */
export function applyCatalogChange(
  current: CatalogEntry | null,
  change: CatalogChange,
): CatalogEntry | null {
  if (current && current.sequence >= change.sequence) return null;
  const deleted = change.op === 'delete';
  return {
    deviceId: change.deviceId,
    moduleId: change.moduleId,
    status: deleted || change.moduleId !== null ? null : change.status,
    generationId: change.generationId,
    sequence: change.sequence,
    deleted,
    lastChange: change.opType,
    lastChangeTime: change.at,
  };
}

/** Keeps the newest change per identity (a batch may hold several for one). */
export function newestPerIdentity(changes: readonly CatalogChange[]): CatalogChange[] {
  const newest = new Map<string, CatalogChange>();
  for (const c of changes) {
    const key = `${c.deviceId}\u0000${c.moduleId ?? ''}`;
    const seen = newest.get(key);
    if (!seen || seen.sequence < c.sequence) newest.set(key, c);
  }
  return [...newest.values()];
}
