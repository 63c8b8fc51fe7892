import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeviceDraft, DeviceIdentity } from '../../src/domain/identity/DeviceIdentity';
import type { ModuleDraft, ModuleIdentity } from '../../src/domain/identity/ModuleIdentity';
import type { DeviceLedger } from '../../src/domain/lifecycle/DeviceLedger';
import { buildLifecycleNotification } from '../../src/domain/lifecycle/buildLifecycleNotification';
import { buildTwinChangeNotification } from '../../src/domain/lifecycle/buildTwinChangeNotification';
import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import { sequenceNotifications } from '../../src/domain/lifecycle/sequenceNotifications';
import type { IdentityWrite, LedgerRead, RegistryStore } from '../../src/ports/RegistryStore';
import { newTwinState, type Twin } from '../../src/domain/twin/Twin';

const auth = {
  type: 'sas' as const,
  symmetricKey: {
    primaryKey: 'cHJpbWFyeS1rZXktMTIzNDU2',
    secondaryKey: 'c2Vjb25kYXJ5LWtleS0xMjM0',
  },
  x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
};

export const deviceDraft = (deviceId: string, over: Partial<DeviceDraft> = {}): DeviceDraft => ({
  deviceId,
  generationId: '1',
  status: 'enabled',
  statusReason: null,
  statusUpdatedTime: '0001-01-01T00:00:00Z',
  authentication: auth,
  capabilities: { iotEdge: false },
  deviceScope: null,
  parentScopes: null,
  ...over,
});

export const moduleDraft = (
  deviceId: string,
  moduleId: string,
  over: Partial<ModuleDraft> = {},
): ModuleDraft => ({
  deviceId,
  moduleId,
  generationId: '2',
  managedBy: null,
  authentication: auth,
  deviceGenerationId: '1',
  ...over,
});

const isTwinChange = (n: LifecycleNotification) =>
  n.systemProperties['iothub-message-source'] === 'twinChangeEvents';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string; name?: string }) => e.code ?? e.name,
  );

/** Commits writes with one notification, the ledger moved as `change` says. */
export async function commitWrites(
  store: RegistryStore,
  deviceId: string,
  writes: IdentityWrite[],
  change: Partial<DeviceLedger> = {},
) {
  const read = await store.readLedger(deviceId);
  const { notifications, last } = sequenceNotifications(
    [
      buildLifecycleNotification('createDeviceIdentity', deviceDraft(deviceId), {
        hubName: 'h',
        now: new Date(),
      }),
    ],
    read.ledger.sequence,
    new Date(),
  );
  return store.commit(deviceId, {
    writes,
    ledger: { read, next: { ...read.ledger, ...change, sequence: last } },
    notifications,
  });
}

export const createDevice = async (store: RegistryStore, draft: DeviceDraft) =>
  (
    await commitWrites(store, draft.deviceId, [{ op: 'createDevice', draft }], {
      generationId: draft.generationId,
    })
  )[0] as DeviceIdentity;

export const createModule = async (store: RegistryStore, draft: ModuleDraft) =>
  (
    await commitWrites(store, draft.deviceId, [{ op: 'createModule', draft }], {
      hadModules: true,
    })
  )[0] as ModuleIdentity;

/**
 * Writes `next` over `before` (read at `revision`) with its twin change notification, on the
 * ledger as read now or as `read` says.
 */
export async function writeTwin(
  store: RegistryStore,
  before: Twin,
  next: Twin,
  revision: string | null,
  read?: LedgerRead,
) {
  const ledger = read ?? (await store.readLedger(next.deviceId));
  const now = new Date();
  const change = buildTwinChangeNotification('updateTwin', before, next, { hubName: 'h', now });
  const { notifications, last } = sequenceNotifications(
    change ? [change] : [],
    ledger.ledger.sequence,
    now,
  );
  return store.writeTwin({
    twin: next,
    revision,
    ledger: { read: ledger, next: { ...ledger.ledger, sequence: last } },
    notifications,
  });
}

const deleteDevice = (store: RegistryStore, deviceId: string, etag: string) =>
  commitWrites(store, deviceId, [{ op: 'deleteDevice', etag }], { generationId: null });

const deleteModule = (store: RegistryStore, deviceId: string, moduleId: string, etag: string) =>
  commitWrites(store, deviceId, [{ op: 'deleteModule', moduleId, etag }]);

/**
 * One suite for every RegistryStore: the in-memory fake must behave like the Cosmos adapter,
 * or unit tests built on it prove nothing. `makeStore` must give an empty store; `outboxOf`
 * lists the notifications a store holds in its outbox.
 */
export function registryStoreContract(
  name: string,
  makeStore: () => Promise<RegistryStore>,
  outboxOf: (store: RegistryStore) => Promise<LifecycleNotification[]>,
): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let store: RegistryStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    const id = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

    it('creates, reads back at once, and refuses a second create', async () => {
      const deviceId = id("dev:#?()'");
      const created = await createDevice(
        store,
        deviceDraft(deviceId, { statusReason: 'ünïcödé ✓' }),
      );
      expect(created.etag).toMatch(/^[A-Za-z0-9+/=]+$/);
      expect(await store.readDevice(deviceId)).toEqual(created);
      expect(await codeOf(createDevice(store, deviceDraft(deviceId)))).toBe('DeviceAlreadyExists');
    });

    it('reads a missing device as null', async () => {
      expect(await store.readDevice(id('missing'))).toBeNull();
    });

    it('reads a device with its ledger and twin in one go, as the single reads do', async () => {
      const deviceId = id('state');
      await createDevice(store, deviceDraft(deviceId));
      const state = await store.readDeviceState(deviceId);
      expect(state).toEqual({
        device: await store.readDevice(deviceId),
        ledger: await store.readLedger(deviceId),
        twin: await store.readTwin(deviceId, null),
      });
      expect(state.ledger.etag).not.toBeNull();
      expect(state.twin?.revision).toBeTruthy();
      const missing = await store.readDeviceState(id('missing'));
      expect(missing.device).toBeNull();
      expect(missing.ledger.etag).toBeNull();
    });

    it('replaces only on a matching etag and gives a new etag', async () => {
      const deviceId = id('replace');
      const v1 = await createDevice(store, deviceDraft(deviceId));
      const v2 = await store.replaceDevice(deviceDraft(deviceId, { status: 'disabled' }), v1.etag);
      expect(v2.etag).not.toBe(v1.etag);
      expect(v2.status).toBe('disabled');
      expect(await codeOf(store.replaceDevice(deviceDraft(deviceId), v1.etag))).toBe(
        'PreconditionFailed',
      );
      expect((await store.readDevice(deviceId))?.status).toBe('disabled');
      expect(await codeOf(store.replaceDevice(deviceDraft(id('nobody')), v1.etag))).toBe(
        'DeviceNotFound',
      );
    });

    it('deletes only on a matching etag', async () => {
      const deviceId = id('delete');
      const v1 = await createDevice(store, deviceDraft(deviceId));
      const v2 = await store.replaceDevice(deviceDraft(deviceId), v1.etag);
      expect(await codeOf(deleteDevice(store, deviceId, v1.etag))).toBe('PreconditionFailed');
      await deleteDevice(store, deviceId, v2.etag);
      expect(await store.readDevice(deviceId)).toBeNull();
      expect(await codeOf(deleteDevice(store, deviceId, v2.etag))).toBe('DeviceNotFound');
    });

    it('lists every device exactly once across pages, and counts them', async () => {
      const before = await store.countDevices();
      const ids = Array.from({ length: 23 }, (_, i) => id(`list${i}`));
      await Promise.all(
        ids.map((d, i) =>
          createDevice(store, deviceDraft(d, { status: i % 4 === 0 ? 'disabled' : 'enabled' })),
        ),
      );
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await store.listDevices(5, token);
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items.map((d) => d.deviceId));
        token = page.continuationToken;
        pages++;
      } while (token && pages < 100);
      expect(new Set(seen).size).toBe(seen.length);
      for (const d of ids) expect(seen).toContain(d);
      const after = await store.countDevices();
      expect(after.total - before.total).toBe(23);
      expect(after.disabled - before.disabled).toBe(6);
    });

    it('scans every device and module once, grouped by device ID, across pages', async () => {
      const fresh = await makeStore();
      const ids = ['scan-c', 'scan-a', 'scan-b', 'scan-d'];
      for (const deviceId of ids) await createDevice(fresh, deviceDraft(deviceId));
      await createModule(fresh, moduleDraft('scan-b', 'm/1'));
      await createModule(fresh, moduleDraft('scan-b', 'm2'));
      await createModule(fresh, moduleDraft('scan-d', 'm1'));
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await fresh.scanIdentities(2, token);
        expect(page.items.length).toBeLessThanOrEqual(2);
        for (const item of page.items)
          if (item.kind !== 'twin')
            seen.push(
              item.kind === 'device'
                ? item.device.deviceId
                : `${item.module.deviceId}/${item.module.moduleId}`,
            );
        token = page.continuationToken;
      } while (token);
      expect([...seen].sort()).toEqual(
        ['scan-a', 'scan-b', 'scan-b/m/1', 'scan-b/m2', 'scan-c', 'scan-d', 'scan-d/m1'].sort(),
      );
      const deviceIds = seen.map((s) => s.split('/')[0] ?? '');
      expect(deviceIds).toEqual([...deviceIds].sort());
    });

    it('stores modules with any allowed ID under their device', async () => {
      const deviceId = id('mods');
      const moduleIds = ['plain', 'with#hash', 'with?query', "with+plus:*!(),=@;$'%"];
      for (const m of moduleIds) await createModule(store, moduleDraft(deviceId, m));
      expect(await codeOf(createModule(store, moduleDraft(deviceId, 'with#hash')))).toBe(
        'ModuleAlreadyExistsOnDevice',
      );
      const listed = await store.listModules(deviceId);
      expect(listed.map((m) => m.moduleId).sort()).toEqual([...moduleIds].sort());
      const read = await store.readModule(deviceId, 'with?query');
      expect(read?.moduleId).toBe('with?query');
      expect(await store.listModules(id('other'))).toEqual([]);
    });

    it('replaces and deletes modules conditionally', async () => {
      const deviceId = id('modrw');
      const v1 = await createModule(store, moduleDraft(deviceId, 'm'));
      const v2 = await store.replaceModule(
        moduleDraft(deviceId, 'm', { managedBy: 'IoT Edge' }),
        v1.etag,
      );
      expect(v2.managedBy).toBe('IoT Edge');
      expect(await codeOf(store.replaceModule(moduleDraft(deviceId, 'm'), v1.etag))).toBe(
        'PreconditionFailed',
      );
      expect(await codeOf(deleteModule(store, deviceId, 'm', v1.etag))).toBe('PreconditionFailed');
      await deleteModule(store, deviceId, 'm', v2.etag);
      expect(await store.readModule(deviceId, 'm')).toBeNull();
      expect(await codeOf(deleteModule(store, deviceId, 'm', v2.etag))).toBe('ModuleNotFound');
      expect(await codeOf(store.replaceModule(moduleDraft(deviceId, 'm'), v2.etag))).toBe(
        'ModuleNotFound',
      );
    });

    it('commits all writes or none, with the ledger', async () => {
      const deviceId = id('atomic');
      await createDevice(store, deviceDraft(deviceId));
      await createModule(store, moduleDraft(deviceId, 'taken'));
      const before = await store.readLedger(deviceId);
      // The second write fails: the first must not be applied either, nor the ledger moved.
      expect(
        await codeOf(
          commitWrites(store, deviceId, [
            { op: 'createModule', draft: moduleDraft(deviceId, 'fresh') },
            { op: 'createModule', draft: moduleDraft(deviceId, 'taken') },
          ]),
        ),
      ).toBe('ModuleAlreadyExistsOnDevice');
      expect(await store.readModule(deviceId, 'fresh')).toBeNull();
      expect(await store.readLedger(deviceId)).toEqual(before);
    });

    it('refuses a commit whose ledger changed since it was read', async () => {
      const deviceId = id('ledger');
      const stale = await store.readLedger(deviceId);
      expect(stale).toMatchObject({ etag: null, ledger: { sequence: 0, modules: 0 } });
      await createDevice(store, deviceDraft(deviceId));
      const write = {
        writes: [{ op: 'createModule' as const, draft: moduleDraft(deviceId, 'm') }],
        ledger: { read: stale, next: { ...stale.ledger, sequence: 1 } },
        notifications: [],
      };
      expect(await codeOf(store.commit(deviceId, write))).toBe('LedgerConflict');
      expect(await store.readModule(deviceId, 'm')).toBeNull();
      const now = await store.readLedger(deviceId);
      expect(now.ledger.generationId).toBe('1');
      expect(now.ledger.sequence).toBeGreaterThan(0);
      expect(
        await codeOf(store.commit(deviceId, { ...write, ledger: { read: now, next: now.ledger } })),
      ).toBe('resolved');
      expect(await store.readModule(deviceId, 'm')).not.toBeNull();
    });

    it('keeps a twin with its identity: started by the create, following replaces, gone with the delete', async () => {
      const deviceId = id('twin');
      const state = {
        ...newTwinState('2026-01-01T00:00:00.000Z'),
        tags: { site: 'a' },
      };
      const device = (
        await commitWrites(store, deviceId, [
          { op: 'createDevice', draft: deviceDraft(deviceId), twin: state },
        ])
      )[0] as DeviceIdentity;
      await createModule(store, moduleDraft(deviceId, 'm'));
      const read = await store.readTwin(deviceId, null);
      expect(read?.twin).toMatchObject({
        deviceId,
        status: 'enabled',
        tags: { site: 'a' },
        version: 1,
      });
      expect(read?.twin).not.toHaveProperty('moduleId');
      expect((await store.readTwin(deviceId, 'm'))?.twin).toMatchObject({
        deviceId,
        moduleId: 'm',
        tags: {},
      });

      const replaced = await store.replaceDevice(
        deviceDraft(deviceId, { status: 'disabled', statusReason: 'r' }),
        device.etag,
      );
      const after = await store.readTwin(deviceId, null);
      expect(after?.twin).toMatchObject({
        status: 'disabled',
        statusReason: 'r',
        tags: { site: 'a' },
      });
      expect(after?.twin.etag).toBe(read?.twin.etag);

      // A twin write moves the twin, not the identity's etag; a stale revision loses.
      const next = { ...after!.twin, tags: { site: 'b' }, version: 2 };
      const written = await writeTwin(store, after!.twin, next, after!.revision);
      expect(written?.twin.tags).toEqual({ site: 'b' });
      expect(
        await writeTwin(store, after!.twin, { ...next, tags: { site: 'c' } }, after!.revision),
      ).toBeNull();
      expect((await store.readDevice(deviceId))?.etag).toBe(replaced.etag);

      await commitWrites(
        store,
        deviceId,
        [
          { op: 'deleteDevice', etag: replaced.etag },
          { op: 'deleteModule', moduleId: 'm', etag: null },
        ],
        { generationId: null, modules: 0 },
      );
      expect(await store.readTwin(deviceId, null)).toBeNull();
      expect(await store.readTwin(deviceId, 'm')).toBeNull();
      expect(await codeOf(writeTwin(store, after!.twin, next, written!.revision))).toBe(
        'DeviceNotFound',
      );
    });

    it('commits a twin write with its notification and the ledger, or none of them', async () => {
      const deviceId = id('twinbox');
      await createDevice(store, deviceDraft(deviceId));
      await createModule(store, moduleDraft(deviceId, 'm'));
      const mine = async () =>
        (await outboxOf(store)).filter((n) => n.partitionKey === deviceId && isTwinChange(n));
      const stale = await store.readLedger(deviceId);
      const read = (await store.readTwin(deviceId, 'm'))!;
      const next = { ...read.twin, tags: { site: 'x' }, version: read.twin.version + 1 };

      // Another commit moved the ledger: the twin, the ledger and the outbox stay as they were.
      await createModule(store, moduleDraft(deviceId, 'other'));
      const moved = await store.readLedger(deviceId);
      expect(await codeOf(writeTwin(store, read.twin, next, read.revision, stale))).toBe(
        'LedgerConflict',
      );
      // The twin changed since it was read: likewise, and the answer says read it again.
      const racer = await writeTwin(
        store,
        read.twin,
        { ...read.twin, tags: { site: 'racer' }, version: read.twin.version + 1 },
        read.revision,
      );
      expect(racer?.twin.tags).toEqual({ site: 'racer' });
      const afterRacer = await store.readLedger(deviceId);
      expect(afterRacer.ledger.sequence).toBeGreaterThan(moved.ledger.sequence);
      expect(await writeTwin(store, read.twin, next, read.revision)).toBeNull();
      expect(await store.readLedger(deviceId)).toEqual(afterRacer);
      expect((await store.readTwin(deviceId, 'm'))?.twin.tags).toEqual({ site: 'racer' });
      expect((await mine()).map((n) => n.body.tags)).toEqual([{ site: 'racer' }]);

      // On the current revision and ledger it commits, numbered after everything before it.
      const current = (await store.readTwin(deviceId, 'm'))!;
      const written = await writeTwin(store, current.twin, next, current.revision);
      expect(written?.twin).toMatchObject({ moduleId: 'm', tags: { site: 'x' } });
      const committed = await mine();
      expect(committed.map((n) => n.body.tags)).toEqual([{ site: 'racer' }, { site: 'x' }]);
      expect(committed.map((n) => n.properties.moduleId)).toEqual(['m', 'm']);
      const last = committed.at(-1)!;
      expect(Number(last.properties.lifecycleSequence)).toBe(
        (await store.readLedger(deviceId)).ledger.sequence,
      );
      expect(Number(last.properties.lifecycleSequence)).toBeGreaterThan(afterRacer.ledger.sequence);
      // The module count and generation the ledger keeps are untouched by a twin write.
      expect((await store.readLedger(deviceId)).ledger).toMatchObject({
        generationId: moved.ledger.generationId,
        modules: moved.ledger.modules,
      });
      // Written as if none were stored, while one is: it loses as a stale revision does.
      expect(await writeTwin(store, read.twin, next, null)).toBeNull();
    });

    it('deletes a device with its modules in one commit', async () => {
      const deviceId = id('cascade');
      const device = await createDevice(store, deviceDraft(deviceId));
      await createModule(store, moduleDraft(deviceId, 'a'));
      await createModule(store, moduleDraft(deviceId, 'b'));
      await commitWrites(
        store,
        deviceId,
        [
          { op: 'deleteDevice', etag: device.etag },
          { op: 'deleteModule', moduleId: 'a', etag: null },
          { op: 'deleteModule', moduleId: 'b', etag: null },
        ],
        { generationId: null, modules: 0 },
      );
      expect(await store.readDevice(deviceId)).toBeNull();
      expect(await store.listModules(deviceId)).toEqual([]);
      expect((await store.readLedger(deviceId)).ledger).toMatchObject({
        generationId: null,
        hadModules: true,
      });
    });
  });
}
