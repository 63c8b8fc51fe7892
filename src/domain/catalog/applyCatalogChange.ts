import type { JsonObject } from '../twin/Twin';
import { mergeValues } from '../twin/mergeValues';
import type { CatalogEntry } from './CatalogEntry';

/** What the catalog needs from one lifecycle or twin change notification. */
export interface CatalogChange {
  deviceId: string;
  moduleId: string | null;
  /** `twin`: a twin change, which moves only the tags of a live entry. */
  op: 'create' | 'delete' | 'status' | 'twin';
  opType: string;
  at: string;
  sequence: number;
  generationId: string | null;
  status: 'enabled' | 'disabled' | null;
  /**
   * The tags after the change (`set`: lifecycle bodies and replaceTwin carry them whole) or
   * what changed (`merge`: updateTwin's patch, `null` removing a key); absent: unchanged.
   */
  tags?: { kind: 'set' | 'merge'; values: JsonObject } | undefined;
}

/**
 * The entry after a change, or null when the change is a duplicate or older than what the
 * entry already reflects. A lifecycle notification carries the identity's whole state, so the
 * newest one decides. A twin change patches the tags of the entry it follows: the registry
 * numbers a device's notifications in commit order and Event Hubs delivers a device's in that
 * order, so moving only to a newer sequence applies each patch once, in order; a repeat or a
 * stale copy is dropped. One for an identity the catalog has no live entry of is dropped too.
 */
export function applyCatalogChange(
  current: CatalogEntry | null,
  change: CatalogChange,
): CatalogEntry | null {
  if (current && current.sequence >= change.sequence) return null;
  if (change.op === 'twin') {
    if (!current || current.deleted) return null;
    return {
      ...current,
      tags: nextTags(current.tags, change.tags),
      sequence: change.sequence,
      lastChange: change.opType,
      lastChangeTime: change.at,
    };
  }
  const deleted = change.op === 'delete';
  return {
    deviceId: change.deviceId,
    moduleId: change.moduleId,
    status: deleted || change.moduleId !== null ? null : change.status,
    generationId: change.generationId,
    // A status change without tags (not the registry's) keeps those it has.
    tags: deleted ? {} : nextTags(change.op === 'status' ? (current?.tags ?? {}) : {}, change.tags),
    sequence: change.sequence,
    deleted,
    lastChange: change.opType,
    lastChangeTime: change.at,
  };
}

function nextTags(current: JsonObject, change: CatalogChange['tags']): JsonObject {
  if (!change) return current;
  return change.kind === 'set'
    ? structuredClone(change.values)
    : mergeValues(structuredClone(current), change.values);
}

/**
 * A batch's changes per identity, each identity's in sequence order (a batch may hold several
 * for one, and a twin change must not be skipped for a newer one as a lifecycle one may).
 */
export function changesPerIdentity(changes: readonly CatalogChange[]): CatalogChange[][] {
  const groups = new Map<string, CatalogChange[]>();
  for (const c of changes) {
    const key = `${c.deviceId}\u0000${c.moduleId ?? ''}`;
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.sequence - b.sequence));
}
