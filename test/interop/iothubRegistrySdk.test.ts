import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sdkRegistry } from '../support/sdkRegistry';
import { policy, uniqueId } from '../support/registryApi';

/** What the SDK throws; its error classes are internal copies, so compare names (CONTRACT.md). */
const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error) => e.name,
  );

describe('the official azure-iothub Registry client over HTTPS', () => {
  const registry = sdkRegistry();

  it('creates, gets, updates, lists and deletes devices as a user script does', async () => {
    const deviceId = uniqueId('sdk');
    const created = await registry.create({ deviceId });
    expect(created.httpResponse.statusCode).toBe(200);
    expect(created.responseBody.deviceId).toBe(deviceId);
    expect(created.responseBody.authentication?.symmetricKey?.primaryKey).toHaveLength(44);

    // Read, change, write back: the SDK's Device object carries every field it read.
    const { responseBody: device } = await registry.get(deviceId);
    device.status = 'disabled';
    device.statusReason = 'maintenance';
    const updated = await registry.update(device);
    expect(updated.responseBody.status).toBe('disabled');
    expect(updated.responseBody.etag).not.toBe(created.responseBody.etag);
    expect(updated.responseBody.authentication).toEqual(created.responseBody.authentication);

    const listed = await registry.list();
    expect(listed.responseBody.map((d) => d.deviceId)).toContain(deviceId);

    await registry.delete(deviceId);
    expect(await errorName(registry.get(deviceId))).toBe('DeviceNotFoundError');
  });

  it('raises the SDK errors users catch', async () => {
    const deviceId = uniqueId('sdk');
    await registry.create({ deviceId });
    expect(await errorName(registry.create({ deviceId }))).toBe('DeviceAlreadyExistsError');
    expect(await errorName(registry.get(uniqueId('missing')))).toBe('DeviceNotFoundError');
    expect(await errorName(registry.create({ deviceId: 'bad#id' }))).toBe('ArgumentError');
    expect(
      await errorName(
        registry.create({
          deviceId: uniqueId(),
          authentication: { symmetricKey: { primaryKey: 'c2hvcnQ=', secondaryKey: '' } },
        }),
      ),
    ).toBe('ArgumentError');

    const { serviceConnectionString } = inject('stack');
    const forged = serviceConnectionString.replace(
      /SharedAccessKey=.*$/,
      `SharedAccessKey=${randomBytes(32).toString('base64')}`,
    );
    expect(await errorName(sdkRegistry(forged).get(deviceId))).toBe('UnauthorizedError');
    const readOnly = `HostName=localhost;SharedAccessKeyName=registryRead;SharedAccessKey=${policy('registryRead').primaryKey}`;
    expect((await sdkRegistry(readOnly).get(deviceId)).responseBody.deviceId).toBe(deviceId);
    expect(await errorName(sdkRegistry(readOnly).create({ deviceId: uniqueId() }))).toBe(
      'UnauthorizedError',
    );
  });

  it('manages modules with etags', async () => {
    const deviceId = uniqueId('sdk');
    await registry.create({ deviceId });
    const added = await registry.addModule({ deviceId, moduleId: 'telemetry' });
    const module = added.responseBody;
    expect(module.moduleId).toBe('telemetry');
    expect((await registry.getModule(deviceId, 'telemetry')).responseBody.etag).toBe(module.etag);
    expect((await registry.getModulesOnDevice(deviceId)).responseBody).toHaveLength(1);

    const updated = await registry.updateModule({ ...module, managedBy: 'ops' });
    expect(updated.responseBody.managedBy).toBe('ops');
    expect(await errorName(registry.updateModule({ ...module, managedBy: 'stale' }))).toBe(
      'InvalidEtagError',
    );
    // removeModule(module) only works in callback form (the SDK's promise form drops `done`).
    const removeWithEtag = new Promise<void>((resolve, reject) =>
      registry.removeModule(module, (err?: Error) => (err ? reject(err) : resolve())),
    );
    expect(await errorName(removeWithEtag)).toBe('InvalidEtagError');
    expect(
      (await registry.updateModule({ ...module, managedBy: 'forced' }, true)).responseBody
        .managedBy,
    ).toBe('forced');

    await registry.removeModule(deviceId, 'telemetry');
    expect((await registry.getModulesOnDevice(deviceId)).responseBody).toEqual([]);
    expect(await errorName(registry.getModule(deviceId, 'telemetry'))).toBe('Error'); // the SDK maps only DeviceNotFound
  });

  it('raises TooManyDevicesError past the module limit', async () => {
    const deviceId = uniqueId('sdk');
    await registry.create({ deviceId });
    for (let i = 0; i < 20; i++) await registry.addModule({ deviceId, moduleId: `m${i}` });
    expect(await errorName(registry.addModule({ deviceId, moduleId: 'm20' }))).toBe(
      'TooManyDevicesError',
    );
  });

  it('adds, updates and removes devices in bulk, with per-entry errors', async () => {
    const ids = [uniqueId('sdkbulk'), uniqueId('sdkbulk'), uniqueId('sdkbulk')];
    const added = await registry.addDevices(ids.map((deviceId) => ({ deviceId })));
    expect(added.responseBody).toEqual({ isSuccessful: true, errors: [], warnings: [] });

    const fetched = await Promise.all(ids.map(async (id) => (await registry.get(id)).responseBody));
    const updated = await registry.updateDevices(
      fetched.map((d) => ({ ...d, status: 'disabled' as const })),
      false,
    );
    expect(updated.responseBody.isSuccessful).toBe(true);
    expect((await registry.get(ids[0]!)).responseBody.status).toBe('disabled');

    const stale = registry.updateDevices(
      fetched.map((d) => ({ ...d, status: 'enabled' as const })),
      false,
    );
    const failure = await stale.then(
      () => undefined,
      (e: Error & { responseBody?: string }) => e,
    );
    expect(failure?.name).toBe('ArgumentError');
    expect(JSON.parse(failure?.responseBody ?? '{}').errors).toHaveLength(3);

    const removed = await registry.removeDevices(
      ids.map((deviceId) => ({ deviceId })),
      true,
    );
    expect(removed.responseBody.isSuccessful).toBe(true);
    expect(await errorName(registry.get(ids[1]!))).toBe('DeviceNotFoundError');
  });

  it('reads registry statistics', async () => {
    const deviceId = uniqueId('sdk');
    await registry.create({ deviceId, status: 'disabled' });
    const { responseBody: stats } = await registry.getRegistryStatistics();
    expect(stats.totalDeviceCount).toBe(
      (stats.enabledDeviceCount ?? 0) + (stats.disabledDeviceCount ?? 0),
    );
    expect(stats.disabledDeviceCount).toBeGreaterThanOrEqual(1);
  });
});
