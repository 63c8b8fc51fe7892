import { RegistryError } from '../domain/errors/RegistryError';
import type { IfMatch } from '../domain/identity/IfMatch';
import type { ModuleDraft, ModuleIdentity, ModuleInput } from '../domain/identity/ModuleIdentity';
import { newGenerationId } from '../domain/identity/newGenerationId';
import { resolveAuthentication } from '../domain/identity/resolveAuthentication';
import { buildLifecycleNotification } from '../domain/lifecycle/buildLifecycleNotification';
import type { IdentityWrite } from '../ports/RegistryStore';
import type { TwinState } from '../domain/twin/Twin';
import type { TwinChange } from '../domain/twin/updateTwinState';
import { preconditionFailed, startTwin, twinReplaceOf } from './DeviceRegistry';
import { commitLifecycle } from './lifecycle/commitLifecycle';
import type { RegistryDeps } from './RegistryDeps';
import { retryOnConflict } from './retryOnConflict';

const deviceNotFound = (deviceId: string) =>
  new RegistryError('DeviceNotFound', `Device '${deviceId}' is not registered`);
const tooManyModules = (deviceId: string, max: number) =>
  new RegistryError(
    'TooManyModulesOnDevice',
    `Device '${deviceId}' already has ${max} modules, the most allowed: delete one first`,
  );
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

  async create(
    deviceId: string,
    moduleId: string,
    input: ModuleInput,
    twin?: TwinChange,
  ): Promise<ModuleIdentity> {
    const { store, clock, maxModulesPerDevice } = this.deps;
    const state = twin ? startTwin(twin, clock.now()) : undefined;
    const draftFor = (deviceGenerationId: string): ModuleDraft => ({
      deviceId,
      moduleId,
      generationId: newGenerationId(clock.now()),
      managedBy: input.managedBy ?? null,
      authentication: resolveAuthentication(input.authentication, undefined),
      deviceGenerationId,
    });
    // Set when a document of an earlier generation of the device holds the module's ID.
    let staleEtag: string | undefined;
    for (;;) {
      try {
        const [module] = await commitLifecycle(this.deps, deviceId, async (ledger) => {
          const device = await store.readDevice(deviceId);
          if (!device || ledger.generationId === null) throw deviceNotFound(deviceId);
          // The ledger counts the live generation's modules, and every create and delete moves
          // it: racing creates are serialised on it, so exactly the limit of them succeed.
          if (ledger.modules >= maxModulesPerDevice)
            throw tooManyModules(deviceId, maxModulesPerDevice);
          const draft = draftFor(ledger.generationId);
          const write: IdentityWrite =
            staleEtag === undefined
              ? { op: 'createModule', draft, twin: state }
              : { op: 'replaceModule', draft, etag: staleEtag, twin: state };
          return {
            writes: [write],
            next: { ...ledger, modules: ledger.modules + 1, hadModules: true },
            notifications: [this.notification('createDeviceIdentity', draft, state)],
          };
        });
        this.deps.observer?.identityChanged(deviceId, moduleId);
        return module as ModuleIdentity;
      } catch (error) {
        if (!(error instanceof RegistryError) || error.code !== 'ModuleAlreadyExistsOnDevice')
          throw error;
        const [device, existing] = await Promise.all([
          store.readDevice(deviceId),
          store.readModule(deviceId, moduleId),
        ]);
        const stale = existing && device && existing.deviceGenerationId !== device.generationId;
        if (!stale || staleEtag === existing.etag) throw error;
        staleEtag = existing.etag;
      }
    }
  }

  async update(
    deviceId: string,
    moduleId: string,
    input: ModuleInput,
    ifMatch: Exclude<IfMatch, { kind: 'none' }>,
    twin?: TwinChange,
  ): Promise<ModuleIdentity> {
    const { store, clock } = this.deps;
    const updated = await retryOnConflict(async () => {
      const [existing, storedTwin] = await Promise.all([
        this.get(deviceId, moduleId),
        twin ? store.readTwin(deviceId, moduleId) : null,
      ]);
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(`${deviceId}/${moduleId}`);
      const draft: ModuleDraft = {
        ...existing,
        managedBy: input.managedBy !== undefined ? input.managedBy : existing.managedBy,
        authentication: resolveAuthentication(input.authentication, existing.authentication),
      };
      const { nextTwin, twinChange } = twinReplaceOf(storedTwin, twin, {
        hubName: this.deps.hubName,
        now: clock.now(),
      });
      if (!twinChange) return store.replaceModule(draft, etag);
      // A twin change commits with its notification.
      const [written] = await commitLifecycle(this.deps, deviceId, (ledger) => ({
        writes: [{ op: 'updateModule', draft, etag, twin: nextTwin }],
        next: ledger,
        notifications: [twinChange],
      }));
      return written as ModuleIdentity;
    }, ifMatch.kind === 'any');
    this.deps.observer?.identityChanged(deviceId, moduleId);
    return updated;
  }

  async delete(deviceId: string, moduleId: string, ifMatch: IfMatch): Promise<void> {
    await retryOnConflict(async () => {
      const existing = await this.get(deviceId, moduleId);
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(`${deviceId}/${moduleId}`);
      await commitLifecycle(this.deps, deviceId, async (ledger) => {
        // The twin as it was, read after the ledger (a twin write in between: plan again).
        const twin = await this.deps.store.readTwin(deviceId, moduleId);
        return {
          writes: [{ op: 'deleteModule', moduleId, etag }],
          next: { ...ledger, modules: Math.max(0, ledger.modules - 1) },
          notifications: [this.notification('deleteDeviceIdentity', existing, twin?.twin)],
        };
      });
    }, ifMatch.kind !== 'etag');
    this.deps.observer?.identityChanged(deviceId, moduleId);
  }

  private notification(
    op: 'createDeviceIdentity' | 'deleteDeviceIdentity',
    module: ModuleDraft,
    twin?: TwinState,
  ) {
    return buildLifecycleNotification(
      op,
      module,
      { hubName: this.deps.hubName, now: this.deps.clock.now() },
      twin,
    );
  }
}
