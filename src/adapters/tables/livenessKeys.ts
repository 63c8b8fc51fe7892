import type { IdentityRef } from '../../ports/LivenessStore';

/**
 * Row keys of the liveness table. A device and its modules hash to one of `partitions`
 * partitions, so an entry, its deadline index row and its alerts change in one transaction,
 * and the sweep reads due rows with one range query per partition.
 */
export class LivenessKeys {
  constructor(readonly partitions: number) {}

  partitionOf(deviceId: string): string {
    // FNV-1a: stable across processes and versions, unlike any runtime hash.
    let h = 0x811c9dc5;
    for (const byte of Buffer.from(deviceId, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    return `p${(h % this.partitions).toString().padStart(3, '0')}`;
  }

  allPartitions(): string[] {
    return Array.from({ length: this.partitions }, (_, i) => `p${i.toString().padStart(3, '0')}`);
  }

  state(ref: IdentityRef): string {
    return `s|${escapeKey(ref.deviceId)}|${ref.moduleId === null ? '' : escapeKey(ref.moduleId)}`;
  }

  modulesOf(deviceId: string): { from: string; to: string } {
    const prefix = `s|${escapeKey(deviceId)}|`;
    return { from: `${prefix}!`, to: `${prefix}~` };
  }

  due(ref: IdentityRef, deadline: string): string {
    return `d|${deadline}|${escapeKey(ref.deviceId)}|${ref.moduleId === null ? '' : escapeKey(ref.moduleId)}`;
  }

  /** The partition's counts of entries per state, changed with them in each transaction. */
  counts(): string {
    return 'c|counts';
  }

  /** The state index: one row per entry under its state, so a state's entries are one range. */
  stateIndex(state: string, ref: IdentityRef): string {
    return `x|${state}|${escapeKey(ref.deviceId)}|${ref.moduleId === null ? '' : escapeKey(ref.moduleId)}`;
  }

  stateRange(state: string): { from: string; to: string } {
    return { from: `x|${state}|`, to: `x|${state}}` };
  }

  /** The alert log's partitions: oldest first, and newest first (keys ascend only). */
  readonly logPartition = 'alerts';
  readonly newestLogPartition = 'alertsr';

  /** A log row's key: the alert's time, then its id (as the old log ordered ties). */
  logRow(at: string, id: string): string {
    return `${at}|${id}`;
  }

  newestLogRow(at: string, id: string): string {
    // Milliseconds counted down from far in the future, then the id reversed in order too.
    const down = (9e15 - Date.parse(at)).toString().padStart(16, '0');
    return `${down}|${descending(id)}`;
  }

  /** An alert not yet published: the alert's own row key behind a prefix of its own. */
  pendingAlert(alertRowKey: string): string {
    return `q|${alertRowKey}`;
  }

  alert(ref: IdentityRef, at: string, kind: string): string {
    return `a|${at}|${kind}|${escapeKey(ref.deviceId)}|${ref.moduleId === null ? '' : escapeKey(ref.moduleId)}`;
  }
}

/**
 * A key that sorts in the reverse order of `id` (escaped keys are printable ASCII): each
 * character mirrored into the fullwidth block, and a last character above all of them, so a
 * prefix sorts after the keys that extend it.
 */
function descending(id: string): string {
  let out = '';
  for (const c of id) {
    const code = c.charCodeAt(0);
    out += code >= 0x20 && code <= 0x7e ? String.fromCharCode(0xff00 + (0x7f - code)) : c;
  }
  return `${out}\uff60`;
}

/** Table keys may not hold / \ # ? or control characters; '|' separates key parts here. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const FORBIDDEN = /[%/\\#?|\u0000-\u001f\u007f-\u009f]/g;

export const escapeKey = (id: string): string =>
  id.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
