import { randomUUID } from 'node:crypto';
import { RegistryError } from '../../src/domain/errors/RegistryError';
import type { DeviceDraft, DeviceIdentity } from '../../src/domain/identity/DeviceIdentity';
import type { ModuleDraft, ModuleIdentity } from '../../src/domain/identity/ModuleIdentity';
import type { Page, RegistryStore, StoredIdentity } from '../../src/ports/RegistryStore';

/** An in-memory RegistryStore for unit tests; the contract suite holds it to the Cosmos one. */
export class InMemoryRegistryStore implements RegistryStore {
  readonly devices = new Map<string, DeviceIdentity>();
  readonly modules = new Map<string, ModuleIdentity>();

  private static key(deviceId: string, moduleId: string) {
    return `${deviceId}\u0000${moduleId}`;
  }

  readDevice(deviceId: string) {
    return Promise.resolve(structuredClone(this.devices.get(deviceId) ?? null));
  }

  createDevice(draft: DeviceDraft) {
    if (this.devices.has(draft.deviceId)) {
      return Promise.reject(
        new RegistryError(
          'DeviceAlreadyExists',
          `A device with ID '${draft.deviceId}' is already registered`,
        ),
      );
    }
    return Promise.resolve(this.putDevice(draft));
  }

  replaceDevice(draft: DeviceDraft, etag: string) {
    const current = this.devices.get(draft.deviceId);
    if (!current) return Promise.reject(new RegistryError('DeviceNotFound', 'not found'));
    if (current.etag !== etag)
      return Promise.reject(new RegistryError('PreconditionFailed', 'etag mismatch'));
    return Promise.resolve(this.putDevice(draft));
  }

  deleteDevice(deviceId: string, etag: string) {
    const current = this.devices.get(deviceId);
    if (!current) return Promise.reject(new RegistryError('DeviceNotFound', 'not found'));
    if (current.etag !== etag)
      return Promise.reject(new RegistryError('PreconditionFailed', 'etag mismatch'));
    this.devices.delete(deviceId);
    return Promise.resolve();
  }

  listDevices(pageSize: number, continuationToken?: string): Promise<Page<DeviceIdentity>> {
    const all = [...this.devices.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
    return Promise.resolve(pageOf(all, pageSize, continuationToken));
  }

  countDevices() {
    const all = [...this.devices.values()];
    return Promise.resolve({
      total: all.length,
      disabled: all.filter((d) => d.status === 'disabled').length,
    });
  }

  scanIdentities(pageSize: number, continuationToken?: string): Promise<Page<StoredIdentity>> {
    const all: StoredIdentity[] = [
      ...[...this.devices.values()].map((device) => ({ kind: 'device' as const, device })),
      ...[...this.modules.values()].map((module) => ({ kind: 'module' as const, module })),
    ];
    const deviceIdOf = (i: StoredIdentity) =>
      i.kind === 'device' ? i.device.deviceId : i.module.deviceId;
    all.sort((a, b) =>
      deviceIdOf(a) < deviceIdOf(b) ? -1 : deviceIdOf(a) > deviceIdOf(b) ? 1 : 0,
    );
    return Promise.resolve(pageOf(all, pageSize, continuationToken));
  }

  readModule(deviceId: string, moduleId: string) {
    return Promise.resolve(
      structuredClone(this.modules.get(InMemoryRegistryStore.key(deviceId, moduleId)) ?? null),
    );
  }

  createModule(draft: ModuleDraft) {
    if (this.modules.has(InMemoryRegistryStore.key(draft.deviceId, draft.moduleId))) {
      return Promise.reject(new RegistryError('ModuleAlreadyExistsOnDevice', 'exists'));
    }
    return Promise.resolve(this.putModule(draft));
  }

  replaceModule(draft: ModuleDraft, etag: string) {
    const current = this.modules.get(InMemoryRegistryStore.key(draft.deviceId, draft.moduleId));
    if (!current) return Promise.reject(new RegistryError('ModuleNotFound', 'not found'));
    if (current.etag !== etag)
      return Promise.reject(new RegistryError('PreconditionFailed', 'etag mismatch'));
    return Promise.resolve(this.putModule(draft));
  }

  deleteModule(deviceId: string, moduleId: string, etag: string) {
    const key = InMemoryRegistryStore.key(deviceId, moduleId);
    const current = this.modules.get(key);
    if (!current) return Promise.reject(new RegistryError('ModuleNotFound', 'not found'));
    if (current.etag !== etag)
      return Promise.reject(new RegistryError('PreconditionFailed', 'etag mismatch'));
    this.modules.delete(key);
    return Promise.resolve();
  }

  listModules(deviceId: string) {
    return Promise.resolve(
      [...this.modules.values()]
        .filter((m) => m.deviceId === deviceId)
        .map((m) => structuredClone(m)),
    );
  }

  private putDevice(draft: DeviceDraft): DeviceIdentity {
    const stored = {
      ...structuredClone(draft),
      etag: Buffer.from(randomUUID()).toString('base64'),
    };
    this.devices.set(draft.deviceId, stored);
    return structuredClone(stored);
  }

  private putModule(draft: ModuleDraft): ModuleIdentity {
    const stored = {
      ...structuredClone(draft),
      etag: Buffer.from(randomUUID()).toString('base64'),
    };
    this.modules.set(InMemoryRegistryStore.key(draft.deviceId, draft.moduleId), stored);
    return structuredClone(stored);
  }
}

/** One page of `all`; the token is the offset of the next item. */
function pageOf<T>(all: T[], pageSize: number, token?: string): Page<T> {
  const start = token ? Number(token) : 0;
  const items = all.slice(start, start + pageSize).map((i) => structuredClone(i));
  const next = start + items.length;
  return { items, continuationToken: next < all.length ? String(next) : undefined };
}
