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

  /** An alert not yet published: the alert's own row key behind a prefix of its own. */
  pendingAlert(alertRowKey: string): string {
    return `q|${alertRowKey}`;
  }

  alert(ref: IdentityRef, at: string, kind: string): string {
    return `a|${at}|${kind}|${escapeKey(ref.deviceId)}|${ref.moduleId === null ? '' : escapeKey(ref.moduleId)}`;
  }
}

/** Table keys may not hold / \ # ? or control characters; '|' separates key parts here. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const FORBIDDEN = /[%/\\#?|\u0000-\u001f\u007f-\u009f]/g;

export const escapeKey = (id: string): string =>
  id.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
