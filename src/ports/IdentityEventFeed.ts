import type { IdentityRef } from './LivenessStore';

/** An event of the hub's stream that may concern a live session. */
export type IdentityEvent =
  { kind: 'lifecycle'; ref: IdentityRef } | { kind: 'connectionState'; ref: IdentityRef };

/** Follows the service's event stream from now on (what happened before no live session needs). */
export interface IdentityEventFeed {
  start(onEvent: (event: IdentityEvent) => void): void;
  close(): Promise<void>;
}
