import { RegistryError } from '../domain/errors/RegistryError';
import type { DeviceIdentity } from '../domain/identity/DeviceIdentity';
import type { IfMatch } from '../domain/identity/IfMatch';
import type { ModuleDraft, ModuleIdentity, ModuleInput } from '../domain/identity/ModuleIdentity';
import { newGenerationId } from '../domain/identity/newGenerationId';
import { resolveAuthentication } from '../domain/identity/resolveAuthentication';
import { buildLifecycleNotification } from '../domain/lifecycle/buildLifecycleNotification';
import { preconditionFailed } from './DeviceRegistry';
import { publishLifecycle } from './publishLifecycle';
import type { RegistryDeps } from './RegistryDeps';
import { retryOnConflict } from './retryOnConflict';

const deviceNotFound = (deviceId: string) =>
  new RegistryError('DeviceNotFound', `Device '${deviceId}' is not registered`);
const moduleNotFound = (deviceId: string, moduleId: string) =>
  new RegistryError(
    'ModuleNotFound',
    `Module '${moduleId}' is not registered on device '${deviceId}'`,
  );

/** Module use cases. A module belongs to one generation of its device. */
export class ModuleRegistry {
  constructor(private readonly deps: RegistryDeps) {}

  async get(deviceId: string, moduleId: string): Promise<ModuleIdentity> {
    const [device, module] = await Promise.all([
      this.deps.store.readDevice(deviceId),
      this.deps.store.readModule(deviceId, moduleId),
    ]);
    if (!device) throw deviceNotFound(deviceId);
    if (!module || module.deviceGenerationId !== device.generationId)
      throw moduleNotFound(deviceId, moduleId);
    return module;
  }

  async list(deviceId: string): Promise<ModuleIdentity[]> {
    const [device, modules] = await Promise.all([
      this.deps.store.readDevice(deviceId),
      this.deps.store.listModules(deviceId),
    ]);
    if (!device) throw deviceNotFound(deviceId);
    return modules.filter((m) => m.deviceGenerationId === device.generationId);
  }

  put(
    deviceId: string,
    moduleId: string,
    input: ModuleInput,
    ifMatch: IfMatch,
  ): Promise<ModuleIdentity> {
    return ifMatch.kind === 'none'
      ? this.create(deviceId, moduleId, input)
      : this.update(deviceId, moduleId, input, ifMatch);
  }

  async create(deviceId: string, moduleId: string, input: ModuleInput): Promise<ModuleIdentity> {
    const { store, clock, maxModulesPerDevice } = this.deps;
    const device = await store.readDevice(deviceId);
    if (!device) throw deviceNotFound(deviceId);
    const draft: ModuleDraft = {
      deviceId,
      moduleId,
      generationId: newGenerationId(clock.now()),
      managedBy: input.managedBy ?? null,
      authentication: resolveAuthentication(input.authentication, undefined),
      deviceGenerationId: device.generationId,
    };
    const module = await this.insert(device, draft);
    // Counted after the insert, so two racing creates cannot both slip under the limit.
    const count = (await this.list(deviceId)).length;
    if (count > maxModulesPerDevice) {
      await store.deleteModule(deviceId, moduleId, module.etag).catch(() => undefined);
      throw new RegistryError(
        'TooManyModulesOnDevice',
        `Device '${deviceId}' already has ${maxModulesPerDevice} modules, the most allowed: delete one first`,
      );
    }
    this.deps.observer?.identityChanged(deviceId, moduleId);
    await publishLifecycle(this.deps, [this.notification('createDeviceIdentity', module)]);
    return module;
  }

  async update(
    deviceId: string,
    moduleId: string,
    input: ModuleInput,
    ifMatch: Exclude<IfMatch, { kind: 'none' }>,
  ): Promise<ModuleIdentity> {
    const updated = await retryOnConflict(async () => {
      const existing = await this.get(deviceId, moduleId);
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(`${deviceId}/${moduleId}`);
      return this.deps.store.replaceModule(
        {
          ...existing,
          managedBy: input.managedBy !== undefined ? input.managedBy : existing.managedBy,
          authentication: resolveAuthentication(input.authentication, existing.authentication),
        },
        etag,
      );
    }, ifMatch.kind === 'any');
    this.deps.observer?.identityChanged(deviceId, moduleId);
    return updated;
  }

  async delete(deviceId: string, moduleId: string, ifMatch: IfMatch): Promise<void> {
    const module = await retryOnConflict(async () => {
      const existing = await this.get(deviceId, moduleId);
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(`${deviceId}/${moduleId}`);
      await this.deps.store.deleteModule(deviceId, moduleId, etag);
      return existing;
    }, ifMatch.kind !== 'etag');
    this.deps.observer?.identityChanged(deviceId, moduleId);
    await publishLifecycle(this.deps, [this.notification('deleteDeviceIdentity', module)]);
  }

  /** Creates the module, taking over a document left from an earlier generation of the device. */
  private async insert(device: DeviceIdentity, draft: ModuleDraft): Promise<ModuleIdentity> {
    const { store } = this.deps;
    try {
      return await store.createModule(draft);
    } catch (error) {
      if (!(error instanceof RegistryError) || error.code !== 'ModuleAlreadyExistsOnDevice')
        throw error;
      const stale = await store.readModule(draft.deviceId, draft.moduleId);
      if (!stale || stale.deviceGenerationId === device.generationId) throw error;
      return store.replaceModule(draft, stale.etag);
    }
  }

  private notification(
    op: 'createDeviceIdentity' | 'deleteDeviceIdentity',
    module: ModuleIdentity,
  ) {
    return buildLifecycleNotification(op, module, {
      hubName: this.deps.hubName,
      now: this.deps.clock.now(),
    });
  }
}
