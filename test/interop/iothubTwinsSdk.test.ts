import { describe, expect, it } from 'vitest';
import type { Twin } from 'azure-iothub';
import { api, errorCode, uniqueId } from '../support/registryApi';
import { sdkRegistry } from '../support/sdkRegistry';

/** What the SDK throws; its error classes are internal copies, so compare names. */
const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error) => e.name,
  );

describe('twins and queries through the official azure-iothub Registry client', () => {
  const registry = sdkRegistry();

  it('reads a twin, updates it with its etag, and refuses a stale etag', async () => {
    const deviceId = uniqueId('twin');
    await registry.create({ deviceId });
    const { responseBody: twin } = await registry.getTwin(deviceId);
    expect(twin.deviceId).toBe(deviceId);
    expect(twin.properties.desired).toMatchObject({ $version: 1 });

    const patch = {
      tags: { site: 'plant-9', owner: { team: 'ops' } },
      properties: { desired: { telemetryInterval: 30 } },
    };
    const { responseBody: updated } = await registry.updateTwin(deviceId, patch, twin.etag);
    expect(updated.tags).toEqual(patch.tags);
    expect(updated.properties.desired).toMatchObject({ telemetryInterval: 30, $version: 2 });
    expect(updated.etag).not.toBe(twin.etag);
    const metadata = (updated.properties.desired as { $metadata: Record<string, unknown> })
      .$metadata;
    expect(metadata.telemetryInterval).toMatchObject({ $lastUpdatedVersion: 2 });

    // The etag read before the update is stale now.
    expect(await errorName(registry.updateTwin(deviceId, { tags: { x: 1 } }, twin.etag))).toBe(
      'InvalidEtagError',
    );
    // Merge: null deletes a key, the rest is kept.
    const merged = await registry.updateTwin(
      deviceId,
      { tags: { owner: null, floor: 2 } },
      updated.etag,
    );
    expect(merged.responseBody.tags).toEqual({ site: 'plant-9', floor: 2 });
    // The identity's etag is its own: a twin update does not move it.
    const device = await registry.get(deviceId);
    expect(
      errorCode(
        await api('PUT', `/devices/${deviceId}`, {
          body: { deviceId, status: 'disabled' },
          headers: { 'if-match': `"${device.responseBody.etag}"` },
        }),
      ),
    ).toBeUndefined();
    const after = await registry.getTwin(deviceId);
    expect((after.responseBody as unknown as { status: string }).status).toBe('disabled');
    expect(after.responseBody.etag).toBe(merged.responseBody.etag);
    expect(await errorName(registry.getTwin(uniqueId('missing')))).toBe('DeviceNotFoundError');
  });

  it('reads and updates module twins', async () => {
    const deviceId = uniqueId('mtwin');
    await registry.create({ deviceId });
    await registry.addModule({ deviceId, moduleId: 'sensor' });
    const { responseBody: twin } = await registry.getModuleTwin(deviceId, 'sensor');
    expect(twin).toMatchObject({ deviceId, moduleId: 'sensor' });
    const { responseBody: updated } = await registry.updateModuleTwin(
      deviceId,
      'sensor',
      { properties: { desired: { rate: 5 } } },
      twin.etag,
    );
    expect(updated.properties.desired).toMatchObject({ rate: 5 });
    const stale = registry.updateModuleTwin(deviceId, 'sensor', { tags: { a: 1 } }, twin.etag);
    expect(await errorName(stale)).toBe('InvalidEtagError');
  });

  it('pages a tag query with nextAsTwin until hasMoreResults is false', async () => {
    const site = uniqueId('site');
    const ids = Array.from({ length: 7 }, (_, i) => `${site}-d${i}`);
    for (const deviceId of ids) {
      await registry.create({ deviceId });
      const { responseBody: twin } = await registry.getTwin(deviceId);
      await registry.updateTwin(deviceId, { tags: { site } }, twin.etag);
    }
    const query = registry.createQuery(`SELECT * FROM devices WHERE tags.site = '${site}'`, 3);
    const seen: Twin[] = [];
    let pages = 0;
    while (query.hasMoreResults) {
      const { result, message } = await query.nextAsTwin();
      expect(result.length).toBeLessThanOrEqual(3);
      expect(message.headers['x-ms-item-type']).toBe('twin');
      seen.push(...result);
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.map((t) => t.deviceId).sort()).toEqual(ids.sort());
    expect(seen[0]?.tags).toEqual({ site });
  });

  it('counts by group, and answers the queries the Azure CLI and IoT Explorer send', async () => {
    const prefix = uniqueId('grp');
    await registry.create({ deviceId: `${prefix}-a` });
    await registry.create({ deviceId: `${prefix}-b`, status: 'disabled' });
    await registry.create({ deviceId: `${prefix}-edge`, capabilities: { iotEdge: true } });
    await registry.addModule({ deviceId: `${prefix}-a`, moduleId: 'm1' });
    await registry.addModule({ deviceId: `${prefix}-edge`, moduleId: 'm2' });

    const grouped = await registry
      .createQuery(
        `SELECT status, COUNT() AS n FROM devices WHERE STARTSWITH(deviceId, '${prefix}') GROUP BY status`,
      )
      .next();
    expect(grouped.message.headers['x-ms-item-type']).toBe('raw');
    expect(
      (grouped.result as { status: string; n: number }[]).sort((a, b) =>
        a.status.localeCompare(b.status),
      ),
    ).toEqual([
      { status: 'disabled', n: 1 },
      { status: 'enabled', n: 2 },
    ]);
    const countOnly = await registry
      .createQuery('SELECT COUNT() AS n FROM devices GROUP BY status')
      .next();
    expect((countOnly.result as { n: number }[]).every((r) => r.n > 0)).toBe(true);

    // az iot hub device-identity list
    const all: Twin[] = [];
    const list = registry.createQuery('SELECT * FROM devices', 1000);
    while (list.hasMoreResults) all.push(...(await list.nextAsTwin()).result);
    expect(all.map((t) => t.deviceId)).toEqual(
      expect.arrayContaining([`${prefix}-a`, `${prefix}-b`, `${prefix}-edge`]),
    );
    // … --edge-enabled
    const edge = await registry
      .createQuery('SELECT * FROM devices WHERE capabilities.iotEdge = true')
      .nextAsTwin();
    const edgeIds = edge.result.map((t) => t.deviceId);
    expect(edgeIds).toContain(`${prefix}-edge`);
    expect(edgeIds).not.toContain(`${prefix}-a`);
    // IoT Explorer's module list
    const modules = await registry
      .createQuery(
        `SELECT * FROM devices.modules WHERE deviceId IN ['${prefix}-a', '${prefix}-edge']`,
      )
      .nextAsTwin();
    expect(modules.result.map((t) => `${t.deviceId}/${t.moduleId}`).sort()).toEqual([
      `${prefix}-a/m1`,
      `${prefix}-edge/m2`,
    ]);
  });
});
