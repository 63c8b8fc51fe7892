import { describe, expect, it } from 'vitest';
import { api, errorCode, uniqueId } from '../support/registryApi';

const put = (id: string, body: unknown, ifMatch?: string) =>
  api('PUT', `/devices/${encodeURIComponent(id)}`, {
    body,
    headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
  });

describe('devices over HTTP', () => {
  it('creates a device that can be read back the moment the create returns', async () => {
    const id = uniqueId();
    const created = await put(id, { deviceId: id });
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(created.headers.get('etag')).toBe(`"${created.json.etag}"`);
    expect(created.json).toMatchObject({
      deviceId: id,
      status: 'enabled',
      connectionState: 'Disconnected',
      lastActivityTime: '0001-01-01T00:00:00Z',
      cloudToDeviceMessageCount: 0,
      capabilities: { iotEdge: false },
      authentication: {
        type: 'sas',
        x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
      },
    });
    const { primaryKey, secondaryKey } = created.json.authentication.symmetricKey;
    expect(Buffer.from(primaryKey, 'base64')).toHaveLength(32);
    expect(primaryKey).not.toBe(secondaryKey);
    expect(created.json).not.toHaveProperty('parentScopes');

    const read = await api('GET', `/devices/${id}`);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(created.json);
  });

  it('follows If-Match: absent creates only, * and a matching etag update, a stale etag is refused', async () => {
    const id = uniqueId();
    const v1 = (await put(id, {})).json;
    const again = await put(id, {});
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('DeviceAlreadyExists');

    const v2 = await put(id, { status: 'disabled', statusReason: 'stolen 🚨' }, `"${v1.etag}"`);
    expect(v2.status).toBe(200);
    expect(v2.json.etag).not.toBe(v1.etag);
    expect(v2.json.statusUpdatedTime).not.toBe('0001-01-01T00:00:00Z');
    // Keys survive an update that sends empty ones, as the SDK always does.
    expect(v2.json.authentication).toEqual(v1.authentication);

    const stale = await put(id, { status: 'enabled' }, `"${v1.etag}"`);
    expect(stale.status).toBe(412);
    expect(errorCode(stale)).toBe('PreconditionFailed');
    expect((await api('GET', `/devices/${id}`)).json.status).toBe('disabled');

    expect((await put(id, { status: 'enabled' }, `W/"${v2.json.etag}"`)).status).toBe(200);
    expect((await put(id, { status: 'disabled' }, '*')).json.status).toBe('disabled');
    const missing = await put(uniqueId(), {}, '"*"');
    expect(missing.status).toBe(404);
    expect(errorCode(missing)).toBe('DeviceNotFound');
  });

  it('lets exactly one of several racing updates with the same etag win', async () => {
    const id = uniqueId();
    const { etag } = (await put(id, {})).json;
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put(id, { statusReason: `writer ${i}` }, `"${etag}"`)),
    );
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 412)).toHaveLength(7);
    const winner = replies.find((r) => r.status === 200)!.json.statusReason;
    expect((await api('GET', `/devices/${id}`)).json.statusReason).toBe(winner);
  });

  it('deletes with If-Match, cascades modules, and a re-create gets a new generation', async () => {
    const id = uniqueId();
    const v1 = (await put(id, {})).json;
    await api('PUT', `/devices/${id}/modules/m1`, { body: {} });
    await api('PUT', `/devices/${id}/modules/m2`, { body: {} });
    await put(id, { statusReason: 'changed' }, '*');

    const stale = await api('DELETE', `/devices/${id}`, {
      headers: { 'if-match': `"${v1.etag}"` },
    });
    expect(stale.status).toBe(412);
    const deleted = await api('DELETE', `/devices/${id}`, { headers: { 'if-match': '*' } });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await api('GET', `/devices/${id}`);
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('DeviceNotFound');
    expect((await api('DELETE', `/devices/${id}`, { headers: { 'if-match': '*' } })).status).toBe(
      404,
    );

    const v2 = (await put(id, {})).json;
    expect(v2.generationId).not.toBe(v1.generationId);
    expect((await api('GET', `/devices/${id}/modules`)).json).toEqual([]);
    expect(errorCode(await api('GET', `/devices/${id}/modules/m1`))).toBe('ModuleNotFound');
    // The module ID is free again under the new generation.
    expect((await api('PUT', `/devices/${id}/modules/m1`, { body: {} })).status).toBe(200);
  });

  it('accepts every allowed character in a percent-encoded device ID', async () => {
    const id = `${uniqueId()}:.%_*?!(),=@;$'`;
    expect((await put(id, {})).json.deviceId).toBe(id);
    expect((await api('GET', `/devices/${encodeURIComponent(id)}`)).json.deviceId).toBe(id);
  });

  it('creates edge devices with an immutable scope and leaf devices under them', async () => {
    const edgeId = uniqueId('edge');
    const edge = (await put(edgeId, { capabilities: { iotEdge: true } })).json;
    expect(edge.deviceScope).toMatch(new RegExp(`^ms-azure-iot-edge://${edgeId}-\\d+$`));
    expect(edge.parentScopes).toEqual([]);
    const updated = await put(
      edgeId,
      { capabilities: { iotEdge: true }, deviceScope: 'ms-azure-iot-edge://x-1' },
      '*',
    );
    expect(updated.json.deviceScope).toBe(edge.deviceScope);

    const leaf = await put(uniqueId('leaf'), { parentScopes: [edge.deviceScope] });
    expect(leaf.status).toBe(200);
    expect(leaf.json.deviceScope).toBe(edge.deviceScope);
    expect(leaf.json.parentScopes).toEqual([edge.deviceScope]);

    const orphan = await put(uniqueId('leaf'), {
      parentScopes: ['ms-azure-iot-edge://nobody-637000000000000000'],
    });
    expect(orphan.status).toBe(400);
    expect(orphan.json.Message).toContain('not the deviceScope of an existing edge device');
  });

  it('stores X.509 self-signed and CA devices without keys', async () => {
    const thumb = 'ab'.repeat(20);
    const self = await put(uniqueId(), {
      authentication: { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: thumb } },
    });
    expect(self.json.authentication).toEqual({
      type: 'selfSigned',
      symmetricKey: { primaryKey: null, secondaryKey: null },
      x509Thumbprint: { primaryThumbprint: thumb.toUpperCase(), secondaryThumbprint: null },
    });
    const ca = await put(uniqueId(), { authentication: { type: 'certificateAuthority' } });
    expect(ca.json.authentication.type).toBe('certificateAuthority');
  });

  it('lists with and without a trailing slash, pages with x-ms-continuation, and counts', async () => {
    for (let i = 0; i < 3; i++) await put(uniqueId('list'), i === 0 ? { status: 'disabled' } : {});
    const all = await api('GET', '/devices/');
    expect(all.status).toBe(200);
    expect(all.json.length).toBeGreaterThanOrEqual(3);
    expect((await api('GET', '/devices')).status).toBe(200);

    const first = await api('GET', '/devices?top=2');
    expect(first.json).toHaveLength(2);
    const token = first.headers.get('x-ms-continuation');
    expect(token).toBeTruthy();
    const second = await api('GET', '/devices?top=2', { headers: { 'x-ms-continuation': token! } });
    const firstIds = (first.json as { deviceId: string }[]).map((d) => d.deviceId);
    for (const d of second.json) expect(firstIds).not.toContain(d.deviceId);

    for (const forged of ['garbage', '[]', `${token!.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`]) {
      const bad = await api('GET', '/devices?top=2', { headers: { 'x-ms-continuation': forged } });
      expect(bad.status).toBe(400);
      expect(bad.json.Message).toContain('not a token this registry issued');
    }

    for (const top of ['0', '1001', 'abc', '-1', '2.5']) {
      const bad = await api('GET', `/devices?top=${top}`);
      expect(bad.status).toBe(400);
      expect(bad.json.Message).toContain('top must be');
    }

    const stats = (await api('GET', '/statistics/devices')).json;
    expect(stats.totalDeviceCount).toBe(stats.enabledDeviceCount + stats.disabledDeviceCount);
    expect(stats.disabledDeviceCount).toBeGreaterThanOrEqual(1);
  });

  it('answers unknown paths with 404 and unsupported methods with 405, in the contract shape', async () => {
    const nowhere = await api('GET', '/nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.json.Message).toMatch(/^ErrorCode:NotFound;/);
    expect((await api('PATCH', '/devices/x', { body: {} })).status).toBe(405);
  });
});
