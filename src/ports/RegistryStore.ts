import type { DeviceDraft, DeviceIdentity } from '../domain/identity/DeviceIdentity';
import type { ModuleDraft, ModuleIdentity } from '../domain/identity/ModuleIdentity';

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  continuationToken?: string | undefined;
}

/** A stored identity as an export reads it. */
export type StoredIdentity =
  { kind: 'device'; device: DeviceIdentity } | { kind: 'module'; module: ModuleIdentity };

/**
 * Persistence of identities. Conditional writes are done by the store itself (etags), so no
 * read-then-write race exists in the callers. Failures are RegistryErrors:
 * DeviceAlreadyExists / ModuleAlreadyExistsOnDevice on create, PreconditionFailed on an etag
 * mismatch, DeviceNotFound / ModuleNotFound when the target is gone.
 */
export interface RegistryStore {
  readDevice(deviceId: string): Promise<DeviceIdentity | null>;
  createDevice(draft: DeviceDraft): Promise<DeviceIdentity>;
  replaceDevice(draft: DeviceDraft, etag: string): Promise<DeviceIdentity>;
  deleteDevice(deviceId: string, etag: string): Promise<void>;
  listDevices(pageSize: number, continuationToken?: string): Promise<Page<DeviceIdentity>>;
  countDevices(): Promise<{ total: number; disabled: number }>;
  /**
   * Every device and module document (stale modules included), ordered by device ID, so the
   * documents of one device are adjacent (in no particular order among themselves). A page may
   * end inside a device's documents. Tokens stay valid while the registry changes.
   */
  scanIdentities(pageSize: number, continuationToken?: string): Promise<Page<StoredIdentity>>;

  readModule(deviceId: string, moduleId: string): Promise<ModuleIdentity | null>;
  createModule(draft: ModuleDraft): Promise<ModuleIdentity>;
  replaceModule(draft: ModuleDraft, etag: string): Promise<ModuleIdentity>;
  deleteModule(deviceId: string, moduleId: string, etag: string): Promise<void>;
  /** Every module stored under the device ID, including ones left from an earlier generation. */
  listModules(deviceId: string): Promise<ModuleIdentity[]>;
}
