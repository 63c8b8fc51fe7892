import type { DeviceDraft, DeviceIdentity } from '../domain/identity/DeviceIdentity';
import type { ModuleDraft, ModuleIdentity } from '../domain/identity/ModuleIdentity';
import type { DeviceLedger } from '../domain/lifecycle/DeviceLedger';
import type { LifecycleNotification } from '../domain/lifecycle/LifecycleNotification';
import type { Twin, TwinState } from '../domain/twin/Twin';

/** A twin as read, with the store's revision a conditional write must find (null: none stored). */
export interface StoredTwin {
  twin: Twin;
  revision: string | null;
}

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  continuationToken?: string | undefined;
}

/** A stored identity as an export reads it. */
export type StoredIdentity =
  | { kind: 'device'; device: DeviceIdentity }
  | { kind: 'module'; module: ModuleIdentity }
  | { kind: 'twin'; twin: Twin };

/** The ledger as read, with the etag a commit must find unchanged (null: there is none yet). */
export interface LedgerRead {
  ledger: DeviceLedger;
  etag: string | null;
}

/**
 * One identity write of a commit; etags are the caller's condition (null: unconditional).
 * Each write carries its twin along: a create starts it (with `twin` as its state, or empty),
 * a replace updates the identity facts it repeats (or writes `twin` whole, conditional on the
 * revision it was read at), a delete removes it.
 */
export type IdentityWrite =
  | { op: 'createDevice'; draft: DeviceDraft; twin?: TwinState | undefined }
  | { op: 'replaceDevice'; draft: DeviceDraft; etag: string; twin?: StoredTwin | undefined }
  | { op: 'deleteDevice'; etag: string }
  | { op: 'createModule'; draft: ModuleDraft; twin?: TwinState | undefined }
  /** A create that takes over a document left by an earlier generation of the device. */
  | { op: 'replaceModule'; draft: ModuleDraft; etag: string; twin?: TwinState | undefined }
  /** An update of a live module (its twin kept, or written whole as replaceDevice's). */
  | { op: 'updateModule'; draft: ModuleDraft; etag: string; twin?: StoredTwin | undefined }
  | { op: 'deleteModule'; moduleId: string; etag: string | null };

/**
 * Writes in one device ID's partition that commit together or not at all: the identity
 * writes, the ledger moved from the state it was read in to `ledger`, and the notifications,
 * kept in the outbox until the relay has published them.
 */
export interface LifecycleCommit {
  writes: readonly IdentityWrite[];
  ledger: { read: LedgerRead; next: DeviceLedger };
  notifications: readonly LifecycleNotification[];
}

/**
 * A twin write that commits with its change notifications, as a LifecycleCommit does: the twin
 * (conditional on the revision it was read at: null, none stored yet), the ledger moved from
 * the state it was read in, and the notifications for the outbox, together or not at all.
 */
export interface TwinCommit {
  twin: Twin;
  revision: string | null;
  ledger: { read: LedgerRead; next: DeviceLedger };
  notifications: readonly LifecycleNotification[];
}

/** The identities a commit wrote, with their new etags, in the order of its writes. */
export type CommitResult = (DeviceIdentity | ModuleIdentity | null)[];

/** The ledger changed since it was read: read it again and rebuild the commit. */
export class LedgerConflict extends Error {
  constructor(readonly deviceId: string) {
    super(`The ledger of '${deviceId}' changed while a write was prepared`);
    this.name = 'LedgerConflict';
  }
}

/**
 * Persistence of identities. Conditional writes are done by the store itself (etags), so no
 * read-then-write race exists in the callers. Failures are RegistryErrors:
 * DeviceAlreadyExists / ModuleAlreadyExistsOnDevice on create, PreconditionFailed on an etag
 * mismatch, DeviceNotFound / ModuleNotFound when the target is gone; LedgerConflict when a
 * commit's ledger changed.
 */
/** A device, its ledger and its twin, as one read saw them. */
export interface DeviceState {
  device: DeviceIdentity | null;
  ledger: LedgerRead;
  /** As readTwin answers it (a new one for a device stored before twins existed). */
  twin: StoredTwin | null;
}

export interface RegistryStore {
  readDevice(deviceId: string): Promise<DeviceState['device']>;
  /**
   * The device with its ledger and twin, the twin read no earlier than the ledger (so a
   * commit on that ledger fails if the twin changed since): one round trip where the store
   * can, where an update or a delete would otherwise make three.
   */
  readDeviceState(deviceId: string): Promise<DeviceState>;
  /** A write that emits no notification (an update that keeps the status). */
  replaceDevice(draft: DeviceDraft, etag: string, twin?: StoredTwin): Promise<DeviceIdentity>;
  listDevices(pageSize: number, continuationToken?: string): Promise<Page<DeviceIdentity>>;
  countDevices(): Promise<{ total: number; disabled: number }>;
  /**
   * Every device and module document (stale modules included), ordered by device ID, so the
   * documents of one device are adjacent (in no particular order among themselves). A page may
   * end inside a device's documents. Tokens stay valid while the registry changes.
   */
  scanIdentities(pageSize: number, continuationToken?: string): Promise<Page<StoredIdentity>>;

  /** The twin of a device (moduleId null) or module; null when the identity does not exist. */
  readTwin(deviceId: string, moduleId: string | null): Promise<StoredTwin | null>;
  /**
   * Writes a twin read at `revision` with the notifications of its change (see TwinCommit).
   * Returns null when the twin changed since (read it again); throws LedgerConflict when the
   * ledger did, DeviceNotFound / ModuleNotFound when the identity is gone.
   */
  writeTwin(commit: TwinCommit): Promise<StoredTwin | null>;

  readModule(deviceId: string, moduleId: string): Promise<ModuleIdentity | null>;
  replaceModule(draft: ModuleDraft, etag: string, twin?: StoredTwin): Promise<ModuleIdentity>;
  /** Every module stored under the device ID, including ones left from an earlier generation. */
  listModules(deviceId: string): Promise<ModuleIdentity[]>;

  readLedger(deviceId: string): Promise<LedgerRead>;
  /** Applies a commit atomically; see LifecycleCommit. */
  commit(deviceId: string, commit: LifecycleCommit): Promise<CommitResult>;
}
