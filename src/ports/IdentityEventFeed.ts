import type { DesiredPatch } from '../domain/twin/desiredPatchOf';
import type { IdentityRef } from './LivenessStore';

/** An event of the hub's stream that may concern a live session. */
export type IdentityEvent =
  | { kind: 'lifecycle'; ref: IdentityRef }
  | { kind: 'connectionState'; ref: IdentityRef }
  /** A twin change that changed desired properties: the patch its device is sent. */
  | { kind: 'desired'; ref: IdentityRef; patch: DesiredPatch };

/** Follows the service's event stream from now on (what happened before no live session needs). */
export interface IdentityEventFeed {
  start(onEvent: (event: IdentityEvent) => void): void;
  close(): Promise<void>;
}
