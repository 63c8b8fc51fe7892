import { beforeEach, describe, expect, it } from 'vitest';
import { BulkRegistry } from '../../src/application/BulkRegistry';
import { DeviceRegistry } from '../../src/application/DeviceRegistry';
import { ModuleRegistry } from '../../src/application/ModuleRegistry';
import { TwinRegistry } from '../../src/application/TwinRegistry';
import type { RegistryDeps } from '../../src/application/RegistryDeps';
import { silentLogger } from '../../src/ports/Logger';
import { InMemoryRegistryStore } from '../fakes/InMemoryRegistryStore';

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

describe('registry use cases', () => {
  let store: InMemoryRegistryStore;
  let now: Date;
  let devices: DeviceRegistry;
  let modules: ModuleRegistry;
  let bulk: BulkRegistry;

  beforeEach(() => {
    store = new InMemoryRegistryStore();
    now = new Date('2026-01-02T03:04:05.000Z');
    const deps: RegistryDeps = {
      store,
      clock: { now: () => now },
      logger: silentLogger,
      hubName: 'testhub',
      maxModulesPerDevice: 3,
    };
    devices = new DeviceRegistry(deps);
    modules = new ModuleRegistry(deps);
    bulk = new BulkRegistry(devices, modules, silentLogger);
  });

  const ops = () =>
    store.committed.map(
      (n) =>
        `${n.properties.opType}:${n.properties.deviceId}${n.properties.moduleId ? `/${n.properties.moduleId}` : ''}`,
    );

  it('sends the twin as each notification body: tags and desired as the write leaves them', async () => {
    await bulk.apply([
      {
        deviceId: 't1',
        importMode: 'create',
        device: {},
        module: {},
        twin: { tags: { site: 'a' }, desired: { rate: 5 } },
      },
      {
        deviceId: 't1',
        moduleId: 'm',
        importMode: 'create',
        device: {},
        module: {},
        twin: { tags: { role: 'x' } },
      },
    ]);
    const twins = new TwinRegistry({ store, clock: { now: () => now }, hubName: 'testhub' });
    await twins.update('t1', null, { tags: { site: 'b' } }, 'merge', { kind: 'any' });
    await devices.update('t1', { status: 'disabled' }, { kind: 'any' });
    await devices.delete('t1', { kind: 'any' });
    const bodies = store.committed.map((n) => ({
      op: `${n.properties.opType}:${n.properties.moduleId ?? ''}`,
      tags: n.body.tags,
      rate: (n.body.properties as { desired: { rate?: number } } | undefined)?.desired.rate,
      version: n.body.version,
    }));
    expect(bodies).toEqual([
      { op: 'createDeviceIdentity:', tags: { site: 'a' }, rate: 5, version: 1 },
      { op: 'createDeviceIdentity:m', tags: { role: 'x' }, rate: undefined, version: 1 },
      // The twin change itself: what changed only.
      { op: 'updateTwin:', tags: { site: 'b' }, rate: undefined, version: 2 },
      { op: 'updateDeviceIdentityStatus:', tags: { site: 'b' }, rate: 5, version: 2 },
      { op: 'deleteDeviceIdentity:m', tags: { role: 'x' }, rate: undefined, version: 1 },
      { op: 'deleteDeviceIdentity:', tags: { site: 'b' }, rate: 5, version: 2 },
    ]);
    expect(await store.readTwin('t1', null)).toBeNull();
    expect(await store.readTwin('t1', 'm')).toBeNull();
  });

  it('sends a replaceTwin for a bulk update that changes twin sections, and nothing when they stay', async () => {
    const entry = (moduleId: string | undefined, tags: object) => ({
      deviceId: 'b1',
      ...(moduleId ? { moduleId } : {}),
      importMode: 'update' as const,
      device: {},
      module: {},
      twin: { tags: tags as Record<string, string> },
    });
    await devices.create('b1', {});
    await modules.create('b1', 'm', {});
    await bulk.apply([entry(undefined, { site: 'a' }), entry('m', { role: 'x' })]);
    await bulk.apply([entry(undefined, { site: 'a' }), entry('m', { role: 'x' })]);
    const twinChanges = store.committed.filter((n) => n.properties.opType === 'replaceTwin');
    expect(twinChanges.map((n) => [n.properties.moduleId ?? '', n.body.tags])).toEqual([
      ['', { site: 'a' }],
      ['m', { role: 'x' }],
    ]);
    const twin = await store.readTwin('b1', null);
    expect(twinChanges[0]?.body).toMatchObject({
      version: twin?.twin.version,
      etag: twin?.twin.etag,
    });
    expect(twin?.twin.version).toBe(2);
    // A status change and a twin change in one entry: both notifications, in one commit.
    await bulk.apply([{ ...entry(undefined, { site: 'b' }), device: { status: 'disabled' } }]);
    expect(store.outbox.at(-1)?.notifications.map((n) => n.properties.opType)).toEqual([
      'updateDeviceIdentityStatus',
      'replaceTwin',
    ]);
  });

  it('publishes a create notification with the identity and its generation', async () => {
    const device = await devices.create('d1', {});
    expect(ops()).toEqual(['createDeviceIdentity:d1']);
    const [n] = store.committed;
    expect(n?.properties).toMatchObject({
      hubName: 'testhub',
      operationTimestamp: now.toISOString(),
      'iothub-message-schema': 'deviceLifecycleNotification',
    });
    expect(n?.systemProperties['iothub-message-source']).toBe('deviceLifecycleEvents');
    expect(n?.body).toMatchObject({
      deviceId: 'd1',
      generationId: device.generationId,
      etag: 'AAAAAAAAAAE=',
    });
    expect(JSON.stringify(n)).not.toContain(device.authentication.symmetricKey.primaryKey);
  });

  it('publishes a status change once, and nothing for other updates', async () => {
    await devices.create('d1', {});
    await devices.update('d1', { statusReason: 'only a reason' }, { kind: 'any' });
    now = new Date('2026-01-02T04:00:00.000Z');
    const disabled = await devices.update('d1', { status: 'disabled' }, { kind: 'any' });
    await devices.update('d1', { status: 'disabled' }, { kind: 'any' });
    expect(ops()).toEqual(['createDeviceIdentity:d1', 'updateDeviceIdentityStatus:d1']);
    expect(disabled.statusUpdatedTime).toBe('2026-01-02T04:00:00.000Z');
    expect(store.committed[1]?.body).toMatchObject({ status: 'disabled' });
  });

  it('does not publish when a write fails', async () => {
    await devices.create('d1', {});
    expect(await codeOf(devices.create('d1', {}))).toBe('DeviceAlreadyExists');
    expect(
      await codeOf(devices.update('d1', { status: 'disabled' }, { kind: 'etag', etag: 'stale' })),
    ).toBe('PreconditionFailed');
    expect(await codeOf(devices.delete('nobody', { kind: 'any' }))).toBe('DeviceNotFound');
    expect(ops()).toEqual(['createDeviceIdentity:d1']);
  });

  it('deletes a device with its modules and publishes each deletion', async () => {
    await devices.create('d1', {});
    await modules.create('d1', 'a', {});
    await modules.create('d1', 'b', {});
    await devices.delete('d1', { kind: 'any' });
    expect(ops().slice(3).sort()).toEqual([
      'deleteDeviceIdentity:d1',
      'deleteDeviceIdentity:d1/a',
      'deleteDeviceIdentity:d1/b',
    ]);
    expect(store.modules.size).toBe(0);
  });

  it('hides modules of an earlier generation and reuses their IDs', async () => {
    const first = await devices.create('d1', {});
    await modules.create('d1', 'a', {});
    // A module of an earlier generation left in place (as data written before deletes cascaded
    // atomically could hold): remove the device alone.
    store.devices.delete('d1');
    store.ledgers.set('d1', {
      etag: 'gone',
      ledger: { ...store.ledgers.get('d1')!.ledger, generationId: null },
    });
    const second = await devices.create('d1', {});
    expect(second.generationId).not.toBe(first.generationId);
    expect(await modules.list('d1')).toEqual([]);
    expect(await codeOf(modules.get('d1', 'a'))).toBe('ModuleNotFound');
    const reborn = await modules.create('d1', 'a', {});
    expect(reborn.deviceGenerationId).toBe(second.generationId);
  });

  it('enforces the module limit without leaving the extra module behind', async () => {
    await devices.create('d1', {});
    for (const m of ['a', 'b', 'c']) await modules.create('d1', m, {});
    expect(await codeOf(modules.create('d1', 'd', {}))).toBe('TooManyModulesOnDevice');
    expect((await modules.list('d1')).map((m) => m.moduleId)).toEqual(['a', 'b', 'c']);
    expect(ops().filter((o) => o.startsWith('create'))).toHaveLength(4);
  });

  it('keeps an edge scope across updates and refuses a parent that is not an edge device', async () => {
    const edge = await devices.create('edge', { capabilities: { iotEdge: true } });
    const again = await devices.update(
      'edge',
      { deviceScope: 'ms-azure-iot-edge://forged-1' },
      { kind: 'any' },
    );
    expect(again.deviceScope).toBe(edge.deviceScope);
    const leaf = await devices.create('leaf', { deviceScope: edge.deviceScope! });
    expect(leaf.parentScopes).toEqual([edge.deviceScope]);
    await devices.create('plain', {});
    expect(
      await codeOf(devices.create('leaf2', { parentScopes: ['ms-azure-iot-edge://plain-1'] })),
    ).toBe('ArgumentInvalid');
    expect(
      await codeOf(
        devices.create('self', {
          capabilities: { iotEdge: true },
          parentScopes: ['ms-azure-iot-edge://self-1'],
        }),
      ),
    ).toBe('ArgumentInvalid');
  });

  it('applies bulk entries of one device in order and reports failures per entry', async () => {
    await devices.create('exists', {});
    const result = await bulk.apply([
      { deviceId: 'new', importMode: 'create', device: {}, module: {} },
      { deviceId: 'new', moduleId: 'm', importMode: 'create', device: {}, module: {} },
      { deviceId: 'new', moduleId: 'm', importMode: 'delete', device: {}, module: {} },
      { deviceId: 'exists', importMode: 'create', device: {}, module: {} },
      {
        deviceId: 'ghost',
        importMode: 'createOrUpdate',
        device: { status: 'disabled' },
        module: {},
      },
    ]);
    expect(result.isSuccessful).toBe(false);
    expect(result.errors).toEqual([
      expect.objectContaining({ deviceId: 'exists', errorCode: 'DeviceAlreadyExists' }),
    ]);
    expect(store.modules.size).toBe(0);
    expect((await devices.get('ghost')).status).toBe('disabled');
  });
});
