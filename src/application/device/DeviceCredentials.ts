import type { DeviceIdentity } from '../../domain/identity/DeviceIdentity';
import type { ModuleIdentity } from '../../domain/identity/ModuleIdentity';
import type { Clock } from '../../ports/Clock';
import type { IdentityChangeObserver } from '../../ports/IdentityChangeObserver';
import { refKey, type IdentityRef } from '../../ports/LivenessStore';
import type { RegistryStore } from '../../ports/RegistryStore';

export interface DeviceAccess {
  device: DeviceIdentity;
  module: ModuleIdentity | null;
}

/**
 * Credentials for the device endpoint, cached per instance: the spec warns that runtime traffic
 * must not depend on registry reads. An identity is read at most once per cache period (also
 * when absent, so unknown IDs cannot hammer the registry), concurrent misses share one read,
 * and a change made through this instance's registry invalidates the entry at once.
 */
export class DeviceCredentials implements IdentityChangeObserver {
  private readonly entries = new Map<
    string,
    { value: Promise<DeviceAccess | null>; expires: number }
  >();
  readonly stats = { registryReads: 0, lookups: 0 };

  constructor(
    private readonly store: RegistryStore,
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get(ref: IdentityRef): Promise<DeviceAccess | null> {
    this.stats.lookups++;
    const key = refKey(ref);
    const now = this.clock.now().getTime();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = this.read(ref).catch((error: unknown) => {
      this.entries.delete(key); // a failed read is not cached
      throw error;
    });
    this.entries.set(key, { value, expires: now + this.periodMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  identityChanged(deviceId: string, moduleId: string | null): void {
    if (moduleId !== null) {
      this.entries.delete(refKey({ deviceId, moduleId }));
      return;
    }
    // A device's change (status, keys, deletion) also governs its modules.
    const prefix = refKey({ deviceId, moduleId: null });
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private async read(ref: IdentityRef): Promise<DeviceAccess | null> {
    this.stats.registryReads++;
    const [device, module] = await Promise.all([
      this.store.readDevice(ref.deviceId),
      ref.moduleId === null ? null : this.store.readModule(ref.deviceId, ref.moduleId),
    ]);
    if (!device) return null;
    if (ref.moduleId === null) return { device, module: null };
    return module && module.deviceGenerationId === device.generationId ? { device, module } : null;
  }
}
