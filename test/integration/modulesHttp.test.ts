import { describe, expect, it } from 'vitest';
import { api, errorCode, uniqueId } from '../support/registryApi';

describe('modules over HTTP', () => {
  it('creates, reads, lists, updates with etags and deletes modules', async () => {
    const deviceId = uniqueId();
    await api('PUT', `/devices/${deviceId}`, { body: {} });
    const moduleId = 'mod+#1';
    const path = `/devices/${deviceId}/modules/${encodeURIComponent(moduleId)}`;

    const created = await api('PUT', path, { body: { deviceId, moduleId, managedBy: 'IoT Edge' } });
    expect(created.status).toBe(200);
    expect(created.headers.get('etag')).toBe(`"${created.json.etag}"`);
    expect(created.json).toMatchObject({
      deviceId,
      moduleId,
      managedBy: 'IoT Edge',
      connectionState: 'Disconnected',
    });
    expect(created.json).not.toHaveProperty('status');
    expect(Buffer.from(created.json.authentication.symmetricKey.primaryKey, 'base64')).toHaveLength(
      32,
    );

    expect(errorCode(await api('PUT', path, { body: {} }))).toBe('ModuleAlreadyExistsOnDevice');
    expect((await api('GET', path)).json).toEqual(created.json);
    expect((await api('GET', `/devices/${deviceId}/modules`)).json).toEqual([created.json]);

    const updated = await api('PUT', path, {
      body: { managedBy: null },
      headers: { 'if-match': `"${created.json.etag}"` },
    });
    expect(updated.status).toBe(200);
    expect(updated.json.managedBy).toBeNull();
    expect(updated.json.generationId).toBe(created.json.generationId);
    expect(updated.json.authentication).toEqual(created.json.authentication);
    const stale = await api('PUT', path, {
      body: {},
      headers: { 'if-match': `"${created.json.etag}"` },
    });
    expect(errorCode(stale)).toBe('PreconditionFailed');

    expect(
      errorCode(await api('DELETE', path, { headers: { 'if-match': `"${created.json.etag}"` } })),
    ).toBe('PreconditionFailed');
    expect(
      (await api('DELETE', path, { headers: { 'if-match': `"${updated.json.etag}"` } })).status,
    ).toBe(204);
    expect(errorCode(await api('GET', path))).toBe('ModuleNotFound');
  });

  it('refuses modules on a missing device, a status field, and a body ID that differs', async () => {
    const missing = await api('PUT', `/devices/${uniqueId()}/modules/m`, { body: {} });
    expect(missing.status).toBe(404);
    expect(errorCode(missing)).toBe('DeviceNotFound');
    const deviceId = uniqueId();
    await api('PUT', `/devices/${deviceId}`, { body: {} });
    const withStatus = await api('PUT', `/devices/${deviceId}/modules/m`, {
      body: { status: 'disabled' },
    });
    expect(withStatus.status).toBe(400);
    expect(withStatus.json.Message).toContain("unknown field 'status'");
    const otherId = await api('PUT', `/devices/${deviceId}/modules/m`, { body: { moduleId: 'n' } });
    expect(otherId.json.Message).toContain('moduleId in the body');
  });

  it('allows at most 20 modules per device', async () => {
    const deviceId = uniqueId();
    await api('PUT', `/devices/${deviceId}`, { body: {} });
    for (let i = 0; i < 20; i++) {
      expect((await api('PUT', `/devices/${deviceId}/modules/m${i}`, { body: {} })).status).toBe(
        200,
      );
    }
    const over = await api('PUT', `/devices/${deviceId}/modules/m20`, { body: {} });
    expect(over.status).toBe(403);
    expect(errorCode(over)).toBe('TooManyModulesOnDevice');
    expect((await api('GET', `/devices/${deviceId}/modules`)).json).toHaveLength(20);
    expect((await api('GET', `/devices/${deviceId}/modules/m20`)).status).toBe(404);
  });
});
