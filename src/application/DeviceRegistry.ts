import { RegistryError } from '../domain/errors/RegistryError';
import { deviceIdOfScope } from '../domain/identity/edgeScope';
import type { DeviceIdentity, DeviceInput } from '../domain/identity/DeviceIdentity';
import type { IfMatch } from '../domain/identity/IfMatch';
import type { ModuleIdentity } from '../domain/identity/ModuleIdentity';
import { buildLifecycleNotification } from '../domain/lifecycle/buildLifecycleNotification';
import type { Page } from '../ports/RegistryStore';
import { buildDeviceDraft } from './buildDeviceDraft';
import { publishLifecycle } from './publishLifecycle';
import type { RegistryDeps } from './RegistryDeps';
import { retryOnConflict } from './retryOnConflict';

export interface RegistryStatistics {
  totalDeviceCount: number;
  enabledDeviceCount: number;
  disabledDeviceCount: number;
}

const notFound = (deviceId: string) =>
  new RegistryError('DeviceNotFound', `Device '${deviceId}' is not registered`);

/** Device use cases: create, update, read, delete, list, statistics. */
export class DeviceRegistry {
  constructor(private readonly deps: RegistryDeps) {}

  async get(deviceId: string): Promise<DeviceIdentity> {
    const device = await this.deps.store.readDevice(deviceId);
    if (!device) throw notFound(deviceId);
    return device;
  }

  /** PUT semantics: no If-Match creates only; `*` or an etag updates an existing device. */
  put(deviceId: string, input: DeviceInput, ifMatch: IfMatch): Promise<DeviceIdentity> {
    return ifMatch.kind === 'none'
      ? this.create(deviceId, input)
      : this.update(deviceId, input, ifMatch);
  }

  async create(deviceId: string, input: DeviceInput): Promise<DeviceIdentity> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const draft = await buildDeviceDraft(deviceId, input, undefined, now, this.lookupEdgeScope);
    const device = await store.createDevice(draft);
    this.deps.observer?.identityChanged(deviceId, null);
    await publishLifecycle(this.deps, [this.notification('createDeviceIdentity', device)]);
    return device;
  }

  async update(
    deviceId: string,
    input: DeviceInput,
    ifMatch: Exclude<IfMatch, { kind: 'none' }>,
  ): Promise<DeviceIdentity> {
    const { store, clock } = this.deps;
    let before: DeviceIdentity | undefined;
    const device = await retryOnConflict(async () => {
      const existing = await store.readDevice(deviceId);
      if (!existing) throw notFound(deviceId);
      before = existing;
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(deviceId);
      const draft = await buildDeviceDraft(
        deviceId,
        input,
        existing,
        clock.now(),
        this.lookupEdgeScope,
      );
      return store.replaceDevice(draft, etag);
    }, ifMatch.kind === 'any');
    this.deps.observer?.identityChanged(deviceId, null);
    if (before && before.status !== device.status) {
      await publishLifecycle(this.deps, [this.notification('updateDeviceIdentityStatus', device)]);
    }
    return device;
  }

  /** Deletes the device and, with it, its modules. */
  async delete(deviceId: string, ifMatch: IfMatch): Promise<void> {
    const { store } = this.deps;
    const device = await retryOnConflict(async () => {
      const existing = await store.readDevice(deviceId);
      if (!existing) throw notFound(deviceId);
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(deviceId);
      await store.deleteDevice(deviceId, etag);
      return existing;
    }, ifMatch.kind !== 'etag');
    // The device is gone once its own document is: modules of that generation are invisible
    // from here on, so an interrupted cascade leaves nothing a caller can see.
    this.deps.observer?.identityChanged(deviceId, null);
    const modules = await this.deleteModulesOf(device);
    for (const m of modules) this.deps.observer?.identityChanged(deviceId, m.moduleId);
    await publishLifecycle(this.deps, [
      ...modules.map((m) => this.notification('deleteDeviceIdentity', m)),
      this.notification('deleteDeviceIdentity', device),
    ]);
  }

  list(top: number, continuationToken?: string): Promise<Page<DeviceIdentity>> {
    return this.deps.store.listDevices(top, continuationToken);
  }

  async statistics(): Promise<RegistryStatistics> {
    const { total, disabled } = await this.deps.store.countDevices();
    return {
      totalDeviceCount: total,
      enabledDeviceCount: total - disabled,
      disabledDeviceCount: disabled,
    };
  }

  private async deleteModulesOf(device: DeviceIdentity): Promise<ModuleIdentity[]> {
    const { store, logger } = this.deps;
    try {
      const modules = (await store.listModules(device.deviceId)).filter(
        (m) => m.deviceGenerationId === device.generationId,
      );
      await Promise.all(
        modules.map((m) =>
          store.deleteModule(m.deviceId, m.moduleId, m.etag).catch((error: unknown) => {
            if (!(error instanceof RegistryError)) throw error;
          }),
        ),
      );
      return modules;
    } catch (error) {
      logger.warn(`Modules of a deleted device were left for later clean-up: ${String(error)}`);
      return [];
    }
  }

  private readonly lookupEdgeScope = async (scope: string): Promise<DeviceIdentity | null> => {
    const id = deviceIdOfScope(scope);
    const device = id === null ? null : await this.deps.store.readDevice(id);
    return device && device.capabilities.iotEdge && device.deviceScope === scope ? device : null;
  };

  private notification(
    op: Parameters<typeof buildLifecycleNotification>[0],
    identity: DeviceIdentity | ModuleIdentity,
  ) {
    return buildLifecycleNotification(op, identity, {
      hubName: this.deps.hubName,
      now: this.deps.clock.now(),
    });
  }
}

export const preconditionFailed = (id: string) =>
  new RegistryError(
    'PreconditionFailed',
    `The etag given in If-Match does not match the current etag of '${id}': read it again and retry`,
  );
