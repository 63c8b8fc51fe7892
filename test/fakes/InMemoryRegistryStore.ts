import { randomUUID } from 'node:crypto';
import { RegistryError } from '../../src/domain/errors/RegistryError';
import type { DeviceDraft, DeviceIdentity } from '../../src/domain/identity/DeviceIdentity';
import type { ModuleDraft, ModuleIdentity } from '../../src/domain/identity/ModuleIdentity';
import { EMPTY_LEDGER, type DeviceLedger } from '../../src/domain/lifecycle/DeviceLedger';
import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import type { LifecycleOutbox, OutboxRecord } from '../../src/ports/LifecycleOutbox';
import {
  LedgerConflict,
  type CommitResult,
  type IdentityWrite,
  type LedgerRead,
  type DeviceState,
  type LifecycleCommit,
  type Page,
  type RegistryStore,
  type StoredIdentity,
  type StoredTwin,
  type TwinCommit,
} from '../../src/ports/RegistryStore';
import { newTwinState, type Twin, type TwinState } from '../../src/domain/twin/Twin';
import { twinIdentityOf } from '../../src/domain/twin/twinIdentityOf';
import { freshTwin } from '../../src/adapters/cosmos/twinDocuments';

/** An in-memory RegistryStore for unit tests; the contract suite holds it to the Cosmos one. */
export class InMemoryRegistryStore implements RegistryStore, LifecycleOutbox {
  readonly devices = new Map<string, DeviceIdentity>();
  readonly modules = new Map<string, ModuleIdentity>();
  readonly ledgers = new Map<string, { ledger: DeviceLedger; etag: string }>();
  /** Twins by device ID and module ID (empty for the device's own), with their revision. */
  readonly twins = new Map<string, StoredTwin>();
  /** Outbox records not yet completed, in commit order. */
  readonly outbox: OutboxRecord[] = [];
  /** Every notification ever committed, in commit order. */
  readonly committed: LifecycleNotification[] = [];
  private fed = 0;

  private static key(deviceId: string, moduleId: string) {
    return `${deviceId}\u0000${moduleId}`;
  }

  readDevice(deviceId: string) {
    return Promise.resolve(structuredClone(this.devices.get(deviceId) ?? null));
  }

  async readDeviceState(deviceId: string): Promise<DeviceState> {
    return {
      ledger: await this.readLedger(deviceId),
      device: await this.readDevice(deviceId),
      twin: await this.readTwin(deviceId, null),
    };
  }

  replaceDevice(draft: DeviceDraft, etag: string, twin?: StoredTwin) {
    const current = this.devices.get(draft.deviceId);
    if (!current) return Promise.reject(new RegistryError('DeviceNotFound', 'not found'));
    if (current.etag !== etag)
      return Promise.reject(new RegistryError('PreconditionFailed', 'etag mismatch'));
    const twinError = this.checkTwin(draft.deviceId, null, twin);
    if (twinError) return Promise.reject(twinError);
    this.updateTwin(draft, twin?.twin);
    return Promise.resolve(this.putDevice(draft));
  }

  readTwin(deviceId: string, moduleId: string | null): Promise<StoredTwin | null> {
    const stored = this.twins.get(InMemoryRegistryStore.key(deviceId, moduleId ?? ''));
    return Promise.resolve(stored ? structuredClone(stored) : null);
  }

  /** As Cosmos checks a batch: the ledger first, then the identity and the twin's revision. */
  writeTwin(commit: TwinCommit): Promise<StoredTwin | null> {
    const { twin, revision } = commit;
    const key = InMemoryRegistryStore.key(twin.deviceId, twin.moduleId ?? '');
    if ((this.ledgers.get(twin.deviceId)?.etag ?? null) !== commit.ledger.read.etag)
      return Promise.reject(new LedgerConflict(twin.deviceId));
    const current = this.twins.get(key);
    if (!current)
      return Promise.reject(
        new RegistryError(twin.moduleId ? 'ModuleNotFound' : 'DeviceNotFound', 'not found'),
      );
    if (current.revision !== revision) return Promise.resolve(null);
    const stored = { twin: structuredClone(twin), revision: randomUUID() };
    this.twins.set(key, stored);
    this.moveLedger(twin.deviceId, commit.ledger.next, commit.notifications);
    return Promise.resolve(structuredClone(stored));
  }

  /** The ledger moved and the notifications kept in the outbox, as a commit leaves them. */
  private moveLedger(
    deviceId: string,
    next: DeviceLedger,
    committed: readonly LifecycleNotification[],
  ) {
    this.ledgers.set(deviceId, { ledger: structuredClone(next), etag: randomUUID() });
    if (committed.length > 0) {
      const notifications = structuredClone([...committed]);
      this.outbox.push({ deviceId, id: randomUUID(), etag: randomUUID(), notifications });
      this.committed.push(...notifications);
    }
  }

  private checkTwin(deviceId: string, moduleId: string | null, twin?: StoredTwin) {
    if (!twin) return undefined;
    const current = this.twins.get(InMemoryRegistryStore.key(deviceId, moduleId ?? ''));
    return current?.revision === twin.revision
      ? undefined
      : new RegistryError('PreconditionFailed', 'twin changed');
  }

  /** The twin after its identity was written: identity facts refreshed, or `whole` as given. */
  private updateTwin(draft: DeviceDraft | ModuleDraft, whole?: Twin) {
    const moduleId = 'moduleId' in draft ? draft.moduleId : '';
    const key = InMemoryRegistryStore.key(draft.deviceId, moduleId);
    const current =
      whole ??
      this.twins.get(key)?.twin ??
      freshTwin(twinIdentityOf(draft), newTwinState(new Date().toISOString()));
    this.twins.set(key, {
      twin: { ...structuredClone(current), ...twinIdentityOf(draft) },
      revision: randomUUID(),
    });
  }

  private startTwin(draft: DeviceDraft | ModuleDraft, state?: TwinState) {
    const moduleId = 'moduleId' in draft ? draft.moduleId : '';
    this.twins.set(InMemoryRegistryStore.key(draft.deviceId, moduleId), {
      twin: freshTwin(
        twinIdentityOf(draft),
        structuredClone(state ?? newTwinState(new Date().toISOString())),
      ),
      revision: randomUUID(),
    });
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
      ...[...this.twins.values()].map(({ twin }) => ({ kind: 'twin' as const, twin })),
    ];
    const deviceIdOf = (i: StoredIdentity) =>
      i.kind === 'device'
        ? i.device.deviceId
        : i.kind === 'twin'
          ? i.twin.deviceId
          : i.module.deviceId;
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

  replaceModule(draft: ModuleDraft, etag: string, twin?: StoredTwin) {
    const current = this.modules.get(InMemoryRegistryStore.key(draft.deviceId, draft.moduleId));
    if (!current) return Promise.reject(new RegistryError('ModuleNotFound', 'not found'));
    if (current.etag !== etag)
      return Promise.reject(new RegistryError('PreconditionFailed', 'etag mismatch'));
    const twinError = this.checkTwin(draft.deviceId, draft.moduleId, twin);
    if (twinError) return Promise.reject(twinError);
    this.updateTwin(draft, twin?.twin);
    return Promise.resolve(this.putModule(draft));
  }

  listModules(deviceId: string) {
    return Promise.resolve(
      [...this.modules.values()]
        .filter((m) => m.deviceId === deviceId)
        .map((m) => structuredClone(m)),
    );
  }

  readLedger(deviceId: string): Promise<LedgerRead> {
    const found = this.ledgers.get(deviceId);
    return Promise.resolve(found ? structuredClone(found) : { ledger: EMPTY_LEDGER, etag: null });
  }

  /** Checks every write first and applies them only when all would succeed, like a batch. */
  commit(deviceId: string, commit: LifecycleCommit): Promise<CommitResult> {
    const current = this.ledgers.get(deviceId);
    if ((current?.etag ?? null) !== commit.ledger.read.etag)
      return Promise.reject(new LedgerConflict(deviceId));
    for (const w of commit.writes) {
      const error = this.check(deviceId, w);
      if (error) return Promise.reject(error);
    }
    const results = commit.writes.map((w) => this.apply(deviceId, w));
    this.moveLedger(deviceId, commit.ledger.next, commit.notifications);
    return Promise.resolve(results);
  }

  /** The outbox records committed since the last call, as a change feed hands them over. */
  feed(): OutboxRecord[] {
    const all = this.outbox.slice(this.fed);
    this.fed = this.outbox.length;
    return structuredClone(all);
  }

  private check(deviceId: string, w: IdentityWrite): RegistryError | undefined {
    const device = this.devices.get(deviceId);
    const moduleId =
      w.op === 'deleteModule'
        ? w.moduleId
        : 'draft' in w && 'moduleId' in w.draft
          ? w.draft.moduleId
          : '';
    const module = this.modules.get(InMemoryRegistryStore.key(deviceId, moduleId));
    switch (w.op) {
      case 'createDevice':
        return device ? new RegistryError('DeviceAlreadyExists', 'exists') : undefined;
      case 'replaceDevice':
      case 'deleteDevice':
        if (!device) return new RegistryError('DeviceNotFound', 'not found');
        if (w.op === 'replaceDevice' && this.checkTwin(deviceId, null, w.twin))
          return new RegistryError('PreconditionFailed', 'twin changed');
        return device.etag === w.etag
          ? undefined
          : new RegistryError('PreconditionFailed', 'etag mismatch');
      case 'createModule':
        return module ? new RegistryError('ModuleAlreadyExistsOnDevice', 'exists') : undefined;
      case 'replaceModule':
        return module?.etag === w.etag
          ? undefined
          : new RegistryError('ModuleAlreadyExistsOnDevice', 'changed');
      case 'updateModule':
        if (!module) return new RegistryError('ModuleNotFound', 'not found');
        if (this.checkTwin(deviceId, moduleId, w.twin))
          return new RegistryError('PreconditionFailed', 'twin changed');
        return module.etag === w.etag
          ? undefined
          : new RegistryError('PreconditionFailed', 'etag mismatch');
      case 'deleteModule':
        if (!module) return new RegistryError('ModuleNotFound', 'not found');
        return w.etag === null || module.etag === w.etag
          ? undefined
          : new RegistryError('PreconditionFailed', 'etag mismatch');
    }
  }

  private apply(deviceId: string, w: IdentityWrite): DeviceIdentity | ModuleIdentity | null {
    switch (w.op) {
      case 'createDevice':
        this.startTwin(w.draft, w.twin);
        return this.putDevice(w.draft);
      case 'replaceDevice':
        this.updateTwin(w.draft, w.twin?.twin);
        return this.putDevice(w.draft);
      case 'deleteDevice':
        this.devices.delete(deviceId);
        this.twins.delete(InMemoryRegistryStore.key(deviceId, ''));
        return null;
      case 'createModule':
      case 'replaceModule':
        this.startTwin(w.draft, w.twin);
        return this.putModule(w.draft);
      case 'updateModule':
        this.updateTwin(w.draft, w.twin?.twin);
        return this.putModule(w.draft);
      case 'deleteModule':
        this.modules.delete(InMemoryRegistryStore.key(deviceId, w.moduleId));
        this.twins.delete(InMemoryRegistryStore.key(deviceId, w.moduleId));
        return null;
    }
  }

  recordsIn(documents: readonly unknown[]) {
    const records = documents.filter(
      (d): d is OutboxRecord => typeof d === 'object' && d !== null && 'notifications' in d,
    );
    return { records, malformed: 0 };
  }

  complete(records: readonly OutboxRecord[]): Promise<void> {
    const done = new Set(records.map((r) => r.id));
    const left = this.outbox.filter((r) => !done.has(r.id));
    this.fed -= this.outbox.slice(0, this.fed).filter((r) => done.has(r.id)).length;
    this.outbox.splice(0, this.outbox.length, ...left);
    return Promise.resolve();
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
