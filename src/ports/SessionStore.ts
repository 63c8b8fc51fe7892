import type { LifecycleNotification } from '../domain/lifecycle/LifecycleNotification';
import type { IdentityRef } from './LivenessStore';
import type { LedgerRead } from './RegistryStore';

/** Who holds a device's (or module's) MQTT session, as the store last recorded it. */
export interface SessionRecord extends IdentityRef {
  /** The endpoint instance that holds (or last held) the session. */
  owner: string;
  /** One connection: a new one for every CONNECT. */
  sessionId: string;
  connected: boolean;
  /** ISO time of the last change. */
  changedAt: string;
  /** Where the owner takes direct method calls for its sessions (it wrote this, not a caller). */
  methodsUrl?: string;
}

export interface StoredSession {
  session: SessionRecord;
  etag: string;
}

/**
 * A change of a session committed with its connection state events, as one atomic step in the
 * device's partition: the ledger moved from `ledger` (its sequence set to `sequence`), the
 * session record from `expected` (null: there is none yet), and the events into the outbox.
 */
export interface SessionTransition {
  ledger: LedgerRead;
  sequence: number;
  /** When the ledger does not exist yet: the generation it is created for. */
  generationId: string;
  expected: string | null;
  next: SessionRecord;
  notifications: readonly LifecycleNotification[];
}

/** The session record changed since it was read: read it again and decide again. */
export class SessionConflict extends Error {
  constructor(readonly ref: IdentityRef) {
    super(`The session of '${ref.deviceId}' changed while a transition was prepared`);
    this.name = 'SessionConflict';
  }
}

/**
 * Session records beside the identities. `commit` throws LedgerConflict when the ledger moved
 * and SessionConflict when the record did.
 */
export interface SessionStore {
  readSession(ref: IdentityRef): Promise<StoredSession | null>;
  commit(transition: SessionTransition): Promise<StoredSession>;
  /** The sessions the store still shows as connected through an instance. */
  connectedThrough(owner: string): Promise<SessionRecord[]>;
}
