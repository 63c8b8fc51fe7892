import { describe, expect, it } from 'vitest';
import { api, errorCode, uniqueId } from '../support/registryApi';

const get = (id: string) => api('GET', `/devices/${encodeURIComponent(id)}`);

describe('bulk POST /devices', () => {
  it('applies every import mode, case-insensitively, with etag or eTag', async () => {
    const [a, b, c, d, e, f, g] = Array.from({ length: 7 }, () => uniqueId('bulk')) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const setup = await api('POST', '/devices', {
      body: [a, b, c, d, e].map((id) => ({ id, importMode: 'create' })),
    });
    expect(setup.status).toBe(200);
    expect(setup.json).toEqual({ isSuccessful: true, errors: [], warnings: [] });
    const etagOf = async (id: string) => (await get(id)).json.etag as string;

    const reply = await api('POST', '/devices', {
      body: [
        { id: a, importMode: 'Update', status: 'disabled' },
        { id: b, importMode: 'UPDATEIFMATCHETAG', eTag: await etagOf(b), statusReason: 'matched' },
        { id: c, importMode: 'delete' },
        { id: d, importMode: 'DeleteIfMatchETag', etag: await etagOf(d) },
        {
          id: e,
          importMode: 'createOrUpdateIfMatchETag',
          eTag: await etagOf(e),
          status: 'disabled',
        },
        { id: f, importMode: 'createOrUpdate' },
        { id: g, importMode: 'CreateOrUpdateIfMatchETag', eTag: 'unused-for-create' },
        { id: a, moduleId: 'm1', importMode: 'create', managedBy: 'bulk' },
      ],
    });
    expect(reply.json).toEqual({ isSuccessful: true, errors: [], warnings: [] });
    expect((await get(a)).json.status).toBe('disabled');
    expect((await get(b)).json.statusReason).toBe('matched');
    expect((await get(c)).status).toBe(404);
    expect((await get(d)).status).toBe(404);
    expect((await get(e)).json.status).toBe('disabled');
    expect((await get(f)).status).toBe(200);
    expect((await get(g)).status).toBe(200);
    expect((await api('GET', `/devices/${a}/modules/m1`)).json.managedBy).toBe('bulk');
  });

  it('reports failed entries one by one and applies the others', async () => {
    const existing = uniqueId('bulk');
    await api('PUT', `/devices/${existing}`, { body: {} });
    const fresh = uniqueId('bulk');
    const missing = uniqueId('bulk');
    const reply = await api('POST', '/devices', {
      body: [
        { id: existing, importMode: 'create' },
        { id: fresh, importMode: 'create' },
        { id: missing, importMode: 'update' },
      ],
    });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('iothub-errorcode')).toBe('BulkRegistryOperationFailure');
    expect(reply.json.isSuccessful).toBe(false);
    expect(reply.json.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ deviceId: existing, errorCode: 'DeviceAlreadyExists' }),
        expect.objectContaining({ deviceId: missing, errorCode: 'DeviceNotFound' }),
      ]),
    );
    expect(reply.json.errors).toHaveLength(2);
    expect((await get(fresh)).status).toBe(200);

    const stale = await api('POST', '/devices', {
      body: [{ id: existing, importMode: 'updateIfMatchETag', eTag: 'stale', status: 'disabled' }],
    });
    expect(stale.json.errors).toEqual([
      expect.objectContaining({ deviceId: existing, errorCode: 'PreconditionFailed' }),
    ]);
    expect((await get(existing)).json.status).toBe('enabled');
  });

  it('applies nothing when any entry is malformed or defined twice', async () => {
    const a = uniqueId('bulk');
    const b = uniqueId('bulk');
    const twice = await api('POST', '/devices', {
      body: [
        { id: a, importMode: 'create' },
        { id: a, importMode: 'delete' },
      ],
    });
    expect(twice.status).toBe(400);
    expect(errorCode(twice)).toBe('DeviceDefinedMultipleTimes');
    const badKey = await api('POST', '/devices', {
      body: [
        { id: a, importMode: 'create' },
        {
          id: b,
          importMode: 'create',
          authentication: { symmetricKey: { primaryKey: 'c2hvcnQ=' } },
        },
      ],
    });
    expect(badKey.status).toBe(400);
    expect(badKey.json.Message).toContain(`Entry 1 (id '${b}')`);
    const noEtag = await api('POST', '/devices', {
      body: [
        { id: a, importMode: 'create' },
        { id: b, importMode: 'deleteIfMatchETag' },
      ],
    });
    expect(noEtag.json.Message).toContain('needs the entry');
    expect((await get(a)).status).toBe(404);
    expect((await get(b)).status).toBe(404);
  });
});
