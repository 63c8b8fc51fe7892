import { RegistryError } from '../domain/errors/RegistryError';
import { deviceIdOfScope } from '../domain/identity/edgeScope';
import type { DeviceDraft, DeviceIdentity, DeviceInput } from '../domain/identity/DeviceIdentity';
import type { IfMatch } from '../domain/identity/IfMatch';
import type { ModuleDraft, ModuleIdentity } from '../domain/identity/ModuleIdentity';
import {
  buildLifecycleNotification,
  type LifecycleContext,
} from '../domain/lifecycle/buildLifecycleNotification';
import { buildTwinChangeNotification } from '../domain/lifecycle/buildTwinChangeNotification';
import type { LifecycleNotification } from '../domain/lifecycle/LifecycleNotification';
import { EMPTY_LEDGER } from '../domain/lifecycle/DeviceLedger';
import type { Page, StoredTwin } from '../ports/RegistryStore';
import type { TwinState } from '../domain/twin/Twin';
import { newTwinState, twinEtag } from '../domain/twin/Twin';
import { updateTwinState, type TwinChange } from '../domain/twin/updateTwinState';
import { buildDeviceDraft } from './buildDeviceDraft';
import { commitLifecycle } from './lifecycle/commitLifecycle';
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

  /** `twin`: tags and desired properties the device's twin starts with (bulk and import). */
  async create(deviceId: string, input: DeviceInput, twin?: TwinChange): Promise<DeviceIdentity> {
    const now = this.deps.clock.now();
    const state = twin ? startTwin(twin, now) : undefined;
    const draft = await buildDeviceDraft(deviceId, input, undefined, now, this.lookupEdgeScope);
    // Most creates are of new IDs: assume no ledger, and read it only if one turns up.
    const [device] = await commitLifecycle(
      this.deps,
      deviceId,
      (ledger) => ({
        writes: [{ op: 'createDevice', draft, twin: state }],
        next: { ...ledger, generationId: draft.generationId, modules: 0 },
        notifications: [this.notification('createDeviceIdentity', draft, state)],
      }),
      { ledger: EMPTY_LEDGER, etag: null },
    );
    this.deps.observer?.identityChanged(deviceId, null);
    return device as DeviceIdentity;
  }

  /** `twin`: sections of the twin to replace in the same write (bulk and import). */
  async update(
    deviceId: string,
    input: DeviceInput,
    ifMatch: Exclude<IfMatch, { kind: 'none' }>,
    twin?: TwinChange,
  ): Promise<DeviceIdentity> {
    const { store, clock } = this.deps;
    const device = await retryOnConflict(async () => {
      // One read for the device, its ledger and its twin (what a twin change starts from, and
      // what a status notification carries), instead of one after the other.
      const state = await store.readDeviceState(deviceId);
      const existing = state.device;
      if (!existing) throw notFound(deviceId);
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(deviceId);
      const draft = await buildDeviceDraft(
        deviceId,
        input,
        existing,
        clock.now(),
        this.lookupEdgeScope,
      );
      const { nextTwin, twinChange } = this.twinReplace(twin ? state.twin : null, twin);
      const statusChanged = draft.status !== existing.status;
      if (!statusChanged && !twinChange) return store.replaceDevice(draft, etag);
      // A status change is a lifecycle event, a twin change a twin change event: each commits
      // with its notification.
      let firstRound = true;
      const [updated] = await commitLifecycle(
        this.deps,
        deviceId,
        async (ledger) => {
          // The body is the twin as this commit leaves it. The twin read with the ledger serves
          // the first round; a later one (the ledger moved, maybe by a twin write) reads it again.
          const read = firstRound ? state.twin : null;
          firstRound = false;
          const body = statusChanged
            ? (nextTwin ?? read ?? (await store.readTwin(deviceId, null)))
            : null;
          return {
            writes: [{ op: 'replaceDevice', draft, etag, twin: nextTwin }],
            next: ledger,
            notifications: [
              ...(statusChanged
                ? [this.notification('updateDeviceIdentityStatus', draft, body?.twin)]
                : []),
              ...(twinChange ? [twinChange] : []),
            ],
          };
        },
        state.ledger,
      );
      return updated as DeviceIdentity;
    }, ifMatch.kind === 'any');
    this.deps.observer?.identityChanged(deviceId, null);
    return device;
  }

  /** Deletes the device and, in the same atomic write, the modules of its generation. */
  async delete(deviceId: string, ifMatch: IfMatch): Promise<void> {
    const { store } = this.deps;
    const modules = await retryOnConflict(async () => {
      const state = await store.readDeviceState(deviceId);
      const existing = state.device;
      if (!existing) throw notFound(deviceId);
      const etag = ifMatch.kind === 'etag' ? ifMatch.etag : existing.etag;
      if (etag !== existing.etag) throw preconditionFailed(deviceId);
      let deleted: ModuleIdentity[] = [];
      let firstRound = true;
      await commitLifecycle(
        this.deps,
        deviceId,
        async (ledger) => {
          deleted = ledger.hadModules
            ? (await store.listModules(deviceId)).filter(
                (m) => m.deviceGenerationId === existing.generationId,
              )
            : [];
          // Each delete notification carries the twin as it was (read with or after the
          // ledger, so a twin write in between makes this commit plan again).
          const read = firstRound ? state.twin : null;
          firstRound = false;
          const [twin, ...moduleTwins] = await Promise.all([
            read ?? store.readTwin(deviceId, null),
            ...deleted.map((m) => store.readTwin(deviceId, m.moduleId)),
          ]);
          return {
            writes: [
              { op: 'deleteDevice', etag },
              ...deleted.map((m) => ({
                op: 'deleteModule' as const,
                moduleId: m.moduleId,
                etag: null,
              })),
            ],
            next: { ...ledger, generationId: null, modules: 0 },
            notifications: [
              ...deleted.map((m, i) =>
                this.notification('deleteDeviceIdentity', m, moduleTwins[i]?.twin),
              ),
              this.notification('deleteDeviceIdentity', existing, twin?.twin),
            ],
          };
        },
        state.ledger,
      );
      return deleted;
    }, ifMatch.kind !== 'etag');
    this.deps.observer?.identityChanged(deviceId, null);
    for (const m of modules) this.deps.observer?.identityChanged(deviceId, m.moduleId);
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

  private readonly lookupEdgeScope = async (scope: string): Promise<DeviceIdentity | null> => {
    const id = deviceIdOfScope(scope);
    const device = id === null ? null : await this.deps.store.readDevice(id);
    return device && device.capabilities.iotEdge && device.deviceScope === scope ? device : null;
  };

  /**
   * The twin sections an update replaces (bulk and import), and the replaceTwin notification
   * of the change; neither when the sections are absent or change nothing.
   */
  private twinReplace(stored: StoredTwin | null, change: TwinChange | undefined) {
    return twinReplaceOf(stored, change, {
      hubName: this.deps.hubName,
      now: this.deps.clock.now(),
    });
  }

  private notification(
    op: Parameters<typeof buildLifecycleNotification>[0],
    identity: DeviceDraft | ModuleDraft,
    twin?: TwinState,
  ) {
    return buildLifecycleNotification(
      op,
      identity,
      { hubName: this.deps.hubName, now: this.deps.clock.now() },
      twin,
    );
  }
}

/** The state a new identity's twin starts with, holding the given sections. */
export function startTwin(change: TwinChange, now: Date): TwinState {
  const at = now.toISOString();
  const state = updateTwinState(newTwinState(at), change, 'replace', at);
  return { ...state, version: 1 };
}

/**
 * The twin with the given sections replaced, ready for a conditional write, and its replaceTwin
 * notification; neither when there are no sections or they change nothing.
 */
export function twinReplaceOf(
  stored: StoredTwin | null,
  change: TwinChange | undefined,
  context: LifecycleContext,
): { nextTwin: StoredTwin | undefined; twinChange: LifecycleNotification | null } {
  if (!stored || !change) return { nextTwin: undefined, twinChange: null };
  const next = changedTwin(stored, change, context.now);
  const twinChange = buildTwinChangeNotification('replaceTwin', stored.twin, next.twin, context);
  return twinChange ? { nextTwin: next, twinChange } : { nextTwin: undefined, twinChange: null };
}

/** A stored twin with the given sections replaced, ready for a conditional write. */
export function changedTwin(stored: StoredTwin, change: TwinChange, now: Date): StoredTwin {
  const state = updateTwinState(stored.twin, change, 'replace', now.toISOString());
  return {
    twin: { ...stored.twin, ...state, etag: twinEtag(state.version) },
    revision: stored.revision,
  };
}

export const preconditionFailed = (id: string) =>
  new RegistryError(
    'PreconditionFailed',
    `The etag given in If-Match does not match the current etag of '${id}': read it again and retry`,
  );
